"""The fact store. Only this package touches TinyDB and PostgreSQL. Everything above it
uses ``storage.api`` (the ``Repository`` interface, the models and the errors); only the
wiring, ``slackbot.stores``, picks and opens a backend."""

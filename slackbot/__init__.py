"""Summit Intel: a Slack app answering questions about Microsoft's AI partnerships with
South Korea's tech giants around the MS CEO Summit 2024."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("summit-intel")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+source"

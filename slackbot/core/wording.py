"""Marking the domain's own sentences for translation. The domain speaks no language of
its own interface: where it must say something (what a word it did not understand should
have been), it gives a template marked with ``N_`` and the values to put in it, and the
layer that shows it translates the template (``slackbot.slack.i18n``) before filling it.
The translation catalogue's test finds the templates by this marker."""

from __future__ import annotations


def N_(template: str) -> str:
    return template


class Said(str):
    """A sentence the domain says, in English, that remembers the template and values it
    was made from: a terminal prints it as it is, and the Slack layer translates the
    template (``slackbot.slack.i18n.translated``) and fills it again."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Said:
        made = super().__new__(cls, template.format(**values))
        made.template = template
        made.values = values
        return made


def said(template: str, **values: object) -> Said:
    """``said(N_("Keep it to {limit} characters."), limit=1000)``."""
    return Said(template, **values)

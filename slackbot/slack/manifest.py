"""The Slack app manifest, built from the commands, shortcuts, scopes and events the app
handles, so that what Slack is told and what the code listens for cannot drift apart.

``summitbot manifest`` prints it; ``manifest.yml`` in the repository is its default output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from slackbot.core.answers import LOOKUP_COMMAND
from slackbot.slack.ids import (
    ADD_FACT_SHORTCUT,
    EVENTS_PATH,
    REDIRECT_PATH,
    SAVE_MESSAGE_SHORTCUT,
)

DEFAULT_NAME = "Summit Intel"
MAX_APP_NAME = 35  # display_information.name in Slack's manifest schema
MAX_BOT_NAME = 80  # features.bot_user.display_name

# Slack's own slash commands. A manifest that registers one of them is refused whole ("the
# slash command has an invalid name"), so no command of ours may use these names. The list is
# Slack's help page "Use built-in slash commands"
# (https://slack.com/help/articles/201259356-Use-built-in-slash-commands), plus a few that
# Slack kept answering after removing them from that page.
RESERVED_COMMANDS = frozenset(
    {
        "/active",
        "/apps",
        "/archive",
        "/away",
        "/call",
        "/collapse",
        "/dm",
        "/dnd",
        "/expand",
        "/feed",
        "/feedback",
        "/help",
        "/invite",
        "/join",
        "/kick",
        "/leave",
        "/me",
        "/msg",
        "/mute",
        "/open",
        "/prefs",
        "/pro",
        "/remind",
        "/remove",
        "/rename",
        "/search",
        "/shortcuts",
        "/shrug",
        "/star",
        "/status",
        "/topic",
        "/who",
    }
)


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str
    usage_hint: str


@dataclass(frozen=True)
class Shortcut:
    callback_id: str
    kind: str  # global or message
    name: str
    description: str


SLASH_COMMANDS = (
    SlashCommand(
        LOOKUP_COMMAND,
        "Who attends and what is on the table for a company or person",
        "[company or person, e.g. samsung, SK하이닉스, nadella]",
    ),
    SlashCommand(
        "/chips",
        "The AI hardware on the table, by part or vendor",
        "[part or vendor, e.g. hbm, samsung]",
    ),
    SlashCommand(
        "/summit",
        "The MS CEO Summit 2024 overview, help, search and (admins) curation and feeds",
        "[help | search <words> | F12 | timeline samsung | since 2024-06-01 | open | "
        "brief samsung | add | edit F12 | retract F12 why | restore F12 | history F12 | feeds "
        "| queue]",
    ),
    SlashCommand(
        "/digest",
        "A scheduled digest of what moved, posted in this channel",
        "[status | daily 09:00 | track hbm, samsung | now | pause | off]",
    ),
)

SHORTCUTS = (
    Shortcut(
        ADD_FACT_SHORTCUT,
        "global",
        "Add summit fact",
        "Admins record a new fact about the MS CEO Summit partnerships",
    ),
    Shortcut(
        SAVE_MESSAGE_SHORTCUT,
        "message",
        "Save as summit fact",
        "Admins save this message as a fact, with its link as the source",
    ),
)

# Each scope with the reason the app asks for it (written into the manifest as a comment).
BOT_SCOPES = (
    ("commands", "slash commands and shortcuts"),
    ("chat:write", "digests, answers to mentions and DMs, confirmations to admins"),
    ("users:read", "whether a user is a workspace admin or owner, and their time zone"),
    ("channels:read", "digests: whether I can post in a channel"),
    ("groups:read", "digests: whether I am in a private channel"),
    ("mpim:read", "digests: telling a group DM from a channel"),
    ("channels:join", "digests: joining a public channel"),
    ("app_mentions:read", "answering @Summit Intel who samsung in a thread"),
    ("im:history", "answering what people write to me in my Messages tab"),
    ("im:write", "briefings: opening a DM with the person who asked, to send the file"),
    ("files:write", "briefings: the Markdown or CSV file /summit brief sends"),
)

BOT_EVENTS = (
    "app_home_opened",
    "app_mention",
    "message.im",
    "app_uninstalled",
    "tokens_revoked",
)

LONG_DESCRIPTION = (
    "Summit Intel answers questions about the AI partnerships between Microsoft and South "
    "Korea's tech giants around the MS CEO Summit 2024 (14 May 2024): Samsung Electronics, "
    "SK Hynix, LG Electronics and SK Telecom. Type /whois samsung for a company card, /chips "
    "for the hardware on the table, /summit for the overview and /summit search to find "
    "facts, or mention @Summit Intel with the same words. Every statement carries its status "
    "(confirmed, reported, expected) and its source. Answers are visible only to you until "
    "you share them to the channel."
)

HEADER = """\
# Slack app manifest for Summit Intel, written by `summitbot manifest{options}`.
# Create the app from it: https://api.slack.com/apps → "Create New App" → "From an app
# manifest". Regenerate it rather than editing by hand; docs/production.md ("Installing into a
# workspace") has the steps.
"""


class ManifestError(ValueError):
    """An option of ``summitbot manifest`` that Slack would refuse; the message says why."""


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def base_url(http_url: str) -> str:
    """The server's public base URL, checked: https, or http for this machine only (Slack
    sends requests and browsers come back from installing only over https)."""
    url = http_url.strip().rstrip("/")
    found = re.fullmatch(r"(https?)://([^\s/?#]+)(/[^\s?#]*)?", url)
    if not found:
        raise ManifestError(
            f"--http-url {http_url!r} is not an http(s) URL; give the server's public base "
            "URL, e.g. https://summit.example.com"
        )
    host = (
        found.group(2).rsplit(":", 1)[0]
        if not found.group(2).startswith("[")
        else (found.group(2).split("]")[0] + "]")
    )
    if found.group(1) == "http" and host not in LOCAL_HOSTS:
        raise ManifestError(
            f"--http-url {http_url!r} is plain http: Slack sends requests only over https "
            "(http is for localhost, behind a tunnel); give the https URL"
        )
    return url.removesuffix(EVENTS_PATH)


def request_url(http_url: str) -> str:
    """Where Slack sends requests in HTTP mode: the server's base URL + ``/slack/events``."""
    return base_url(http_url) + EVENTS_PATH


def build_manifest(
    name: str = DEFAULT_NAME, http_url: str | None = None, *, distribute: bool = False
) -> dict[str, Any]:
    """The manifest as Slack's schema wants it: Socket Mode, or HTTP with ``http_url``;
    ``distribute``: for installing in many workspaces (HTTP only, which Slack's Marketplace
    requires), with the OAuth redirect URL and org-wide deployment."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_APP_NAME:
        raise ManifestError(f"--name must be 1 to {MAX_APP_NAME} characters")
    if distribute and http_url is None:
        raise ManifestError(
            "--distribute needs --http-url: an app installed in many workspaces is served "
            "over HTTP (Slack's Marketplace does not take Socket Mode apps)"
        )
    url = request_url(http_url) if http_url is not None else None
    for command in SLASH_COMMANDS:
        if command.command in RESERVED_COMMANDS:
            raise AssertionError(f"{command.command} is one of Slack's built-in commands")

    def with_url(command: SlashCommand) -> dict[str, Any]:
        entry: dict[str, Any] = {"command": command.command}
        if url:
            entry["url"] = url
        entry |= {
            "description": command.description,
            "usage_hint": command.usage_hint,
            "should_escape": False,
        }
        return entry

    oauth_config: dict[str, Any] = {"scopes": {"bot": [scope for scope, _why in BOT_SCOPES]}}
    if distribute and http_url is not None:
        oauth_config = {"redirect_urls": [base_url(http_url) + REDIRECT_PATH]} | oauth_config
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if url:
        events = {"request_url": url, **events}
        interactivity |= {"request_url": url, "message_menu_options_url": url}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Cited answers on Microsoft's AI partnerships with Korea's tech giants.",
            "long_description": LONG_DESCRIPTION,
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                # People ask in the Messages tab ("who samsung"), so it must be writable.
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name[:MAX_BOT_NAME], "always_online": True},
            "shortcuts": [
                {
                    "name": shortcut.name,
                    "type": shortcut.kind,
                    "callback_id": shortcut.callback_id,
                    "description": shortcut.description,
                }
                for shortcut in SHORTCUTS
            ],
            "slash_commands": [with_url(command) for command in SLASH_COMMANDS],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            # An org-wide install is one installation and one fact space for every
            # workspace of an Enterprise Grid organisation.
            "org_deploy_enabled": distribute,
            "socket_mode_enabled": url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(
    name: str = DEFAULT_NAME, http_url: str | None = None, *, distribute: bool = False
) -> str:
    """The manifest as YAML, with a header saying how it was made and each scope's reason."""
    options = " --distribute" if distribute else ""
    if name != DEFAULT_NAME:
        options += f" --name {name!r}"
    if http_url is not None:
        options += f" --http-url {http_url}"
    body = yaml.safe_dump(
        build_manifest(name, http_url, distribute=distribute),
        sort_keys=False,
        allow_unicode=True,
        width=96,
    )
    reasons = dict(BOT_SCOPES)
    lines = []
    for line in body.splitlines():
        scope = line.strip().removeprefix("- ")
        if line.lstrip().startswith("- ") and scope in reasons:
            line = f"{line}  # {reasons[scope]}"
        lines.append(line)
    return HEADER.format(options=options) + "\n".join(lines) + "\n"

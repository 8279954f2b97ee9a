"""The app manifest: Slack's published schema, Slack's unwritten rules, and the generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from slackbot.slack.manifest import (
    BOT_EVENTS,
    RESERVED_COMMANDS,
    ManifestError,
    build_manifest,
    manifest_yaml,
)

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO.parent / "shared" / "slack-manifest-schema"
SCHEMA_VERSIONS = ("1.0.0", "2.0.0")


def schema(version: str) -> dict[str, Any]:
    schema_file = SCHEMAS / f"manifest.schema.{version}.json"
    if not schema_file.exists():
        if os.environ.get("CI"):
            # CI has ../shared beside the clone: a missing schema there is a broken set-up.
            pytest.fail(f"Slack's manifest schema is not at {SCHEMAS}, and CI must check it")
        pytest.skip(f"Slack's manifest schema is not at {SCHEMAS}")
    loaded: dict[str, Any] = json.loads(schema_file.read_text())
    return loaded


def shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text())
    return loaded


GENERATED = {
    "manifest.yml": shipped,
    "socket mode": lambda: build_manifest(),
    "http mode": lambda: build_manifest(http_url="https://summit.example.com"),
    "renamed": lambda: build_manifest("Summit Intel (staging)", "https://10.0.0.5:3000/"),
    "distributed": lambda: build_manifest(http_url="https://summit.example.com", distribute=True),
    "distributed on localhost": lambda: build_manifest(
        http_url="http://localhost:3000", distribute=True
    ),
}


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
@pytest.mark.parametrize("which", sorted(GENERATED))
def test_every_manifest_validates_against_slacks_schema(which: str, version: str) -> None:
    jsonschema.Draft7Validator(schema(version)).validate(GENERATED[which]())


@pytest.mark.parametrize("which", sorted(GENERATED))
def test_no_manifest_registers_a_slack_built_in_command(which: str) -> None:
    commands = {c["command"] for c in GENERATED[which]()["features"]["slash_commands"]}
    assert not commands & RESERVED_COMMANDS, "Slack refuses a manifest with a built-in name"


def test_the_reserved_list_holds_the_names_slack_refuses() -> None:
    for name in ("/who", "/status", "/remind", "/feed", "/search", "/topic", "/msg", "/me"):
        assert name in RESERVED_COMMANDS
    assert {"/whois", "/chips", "/summit", "/digest"}.isdisjoint(RESERVED_COMMANDS)


def test_manifest_yml_is_exactly_what_the_generator_prints() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "slackbot", "manifest"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == manifest_yaml()
    assert printed == (REPO / "manifest.yml").read_text(), "run `summitbot manifest > manifest.yml`"


def test_http_mode_fills_every_request_url() -> None:
    manifest = build_manifest(http_url="https://summit.example.com/")
    url = "https://summit.example.com/slack/events"
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {url}
    settings = manifest["settings"]
    assert settings["interactivity"]["request_url"] == url
    assert settings["interactivity"]["message_menu_options_url"] == url
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["socket_mode_enabled"] is False
    already = build_manifest(http_url="https://x.example/slack/events")
    assert already["settings"]["interactivity"]["request_url"] == "https://x.example/slack/events"


def test_socket_mode_has_no_request_urls() -> None:
    manifest = build_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("", None),
        ("x" * 36, None),
        ("Summit", "ftp://host"),
        ("Summit", "https://a b"),
        ("Summit", "http://summit.example.com"),
        ("Summit", "http://10.0.0.5:3000"),
    ],
)
def test_bad_options_are_refused_with_a_reason(name: str, url: str | None) -> None:
    with pytest.raises(ManifestError):
        build_manifest(name, url)


def test_the_cli_names_what_is_wrong_with_an_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "slackbot", "manifest", "--http-url", "ftp://x"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--http-url" in result.stderr and "Traceback" not in result.stderr


def test_manifest_declares_what_the_app_handles() -> None:
    from slackbot.core.answers import ANSWERING_COMMANDS
    from slackbot.slack.ids import ADD_FACT_SHORTCUT, SAVE_MESSAGE_SHORTCUT

    manifest = shipped()
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/whois", "/chips", "/summit", "/digest"}
    assert ANSWERING_COMMANDS - {"/who"} <= set(commands)
    for command in commands.values():
        assert command["description"] and command["usage_hint"]
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
    assert app_home["messages_tab_enabled"] and not app_home["messages_tab_read_only_enabled"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events == list(BOT_EVENTS)
    assert {"app_mention", "message.im", "app_uninstalled", "tokens_revoked"} <= set(events)
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"app_mentions:read", "im:history", "commands", "chat:write"} <= set(scopes)
    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {ADD_FACT_SHORTCUT: "global", SAVE_MESSAGE_SHORTCUT: "message"}


def test_briefings_have_the_scopes_they_need() -> None:
    """Issue 16: /summit brief opens a DM (im:write) and uploads a file (files:write)."""
    scopes = yaml.safe_load((REPO / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"]
    assert {"im:write", "files:write"} <= set(scopes)


def test_the_distributed_manifest_installs_from_a_link_in_many_workspaces() -> None:
    manifest = build_manifest(http_url="https://summit.example.com/", distribute=True)
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://summit.example.com/slack/oauth_redirect"
    ]
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True and settings["socket_mode_enabled"] is False
    assert (
        settings["event_subscriptions"]["request_url"] == "https://summit.example.com/slack/events"
    )
    single = build_manifest(http_url="https://summit.example.com/")
    assert manifest["oauth_config"]["scopes"] == single["oauth_config"]["scopes"]
    assert single["settings"]["org_deploy_enabled"] is False
    assert "redirect_urls" not in single["oauth_config"]
    with pytest.raises(ManifestError, match="--distribute needs --http-url"):
        build_manifest(distribute=True)
    local = build_manifest(http_url="http://127.0.0.1:3000", distribute=True)
    assert local["oauth_config"]["redirect_urls"] == ["http://127.0.0.1:3000/slack/oauth_redirect"]


# What in the code needs each scope: a Web API method it calls, or an event it handles.
SCOPE_EVIDENCE = {
    "commands": ["app.command("],
    "chat:write": ["chat_postMessage", "chat_update"],
    "users:read": ["users_info"],
    "channels:read": ["conversations_info"],
    "groups:read": ["conversations_info"],
    "mpim:read": ["is_mpim"],
    "channels:join": ["conversations_join"],
    "app_mentions:read": ['app.event("app_mention")'],
    "im:history": ['app.event("message")'],
    "im:write": ["conversations_open"],
    "files:write": ["files_upload_v2"],
}


@pytest.mark.parametrize("which", sorted(GENERATED))
def test_every_manifest_asks_only_for_scopes_the_code_uses(which: str) -> None:
    code = "\n".join(
        path.read_text()
        for folder in ("slackbot", "handlers")
        for path in (REPO / folder).rglob("*.py")
    )
    scopes = GENERATED[which]()["oauth_config"]["scopes"]["bot"]
    assert set(scopes) == set(SCOPE_EVIDENCE), "a scope without evidence, or evidence unused"
    for scope in scopes:
        assert any(evidence in code for evidence in SCOPE_EVIDENCE[scope]), scope

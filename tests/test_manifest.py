"""manifest.yml against Slack's published manifest schema (skipped where it is not shipped)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO.parent / "shared" / "slack-manifest-schema"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text())
    return loaded


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any], version: str) -> None:
    schema_file = SCHEMAS / f"manifest.schema.{version}.json"
    if not schema_file.exists():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMAS}")
    schema = json.loads(schema_file.read_text())
    jsonschema.Draft7Validator(schema).validate(manifest)


def test_manifest_declares_what_the_app_handles(manifest: dict[str, Any]) -> None:
    from handlers.commands import ANSWERS

    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/who", "/chips", "/summit", "/digest"}
    assert set(ANSWERS) <= set(commands)
    for command in commands.values():
        assert command["description"] and command["usage_hint"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "users:read",
        "channels:read",
        "groups:read",
        "im:read",
        "channels:join",
    ]
    from handlers.shortcuts import ADD_FACT, SAVE_MESSAGE

    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {ADD_FACT: "global", SAVE_MESSAGE: "message"}

"""Sends requests to the served app the way Slack does: signed, form-encoded or JSON."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

DEFAULT_USER = "U0ALICE"
DEFAULT_CHANNEL = "C0GENERAL"


@dataclass
class Reply:
    status: int
    body: str
    # "ack" when the answer came in the HTTP response, "response_url" when it came after.
    via: str = "ack"

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def texts(self) -> list[str]:
        """Every text Slack would show from a message answer: the fallback and each block's."""
        message = self.json()
        return [message.get("text", ""), *block_texts(message.get("blocks", []))]

    def joined(self) -> str:
        return "\n".join(self.texts())


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                texts.append(element["text"])
            elif isinstance(element.get("text"), dict):
                texts.append(element["text"]["text"])
    return texts


def signed_headers(secret: str, body: str, timestamp: int | str | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: v0 HMAC-SHA256 over ``v0:timestamp:body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": signature or ""}


class SlackSender:
    """One keep-alive connection to the app, as Slack's request sender. With ``fake`` (the
    fake Web API), each slash command carries a response URL of the fake's, and a command
    acknowledged with no answer returns what the app then posted to that URL, as a person
    sees the answer either way."""

    def __init__(
        self, base_url: str, secret: str, fake: Any = None, *, timeout: float = 30
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.secret = secret
        self.fake = fake
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def _request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Reply:
        for attempt in range(2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.timeout
                )
            try:
                self._connection.request(method, path, body=body.encode(), headers=headers or {})
                response = self._connection.getresponse()
                return Reply(response.status, response.read().decode())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._connection.close()
                self._connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> Reply:
        return self._request("GET", path)

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        secret: str | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        path: str = "/slack/events",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            headers.update(signed_headers(secret or self.secret, body, timestamp))
        return self._request("POST", path, body, headers)

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = DEFAULT_USER,
        channel_id: str = DEFAULT_CHANNEL,
        response_url: str | None = None,
        trigger_id: str = "trigger-unused",
        team_id: str = "T0TEAM",
        enterprise_id: str | None = None,
        org_wide: bool = False,
        **post: Any,
    ) -> Reply:
        # The caller who names a response URL watches it; else the answer is fetched from it.
        fetch_answer = response_url is None and self.fake is not None
        if response_url is None:
            response_url = (
                self.fake.response_url() if self.fake else "https://hooks.invalid/commands/1"
            )
        enterprise = {"enterprise_id": enterprise_id} if enterprise_id else {}
        if org_wide:
            enterprise["is_enterprise_install"] = "true"
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team_id,
                **enterprise,
                "team_domain": "summit",
                "channel_id": channel_id,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0SUMMIT",
                "response_url": response_url,
                "trigger_id": trigger_id,
            }
        )
        reply = self.post(body, **post)
        if fetch_answer and reply.status == 200 and not reply.body.strip():
            return self.answer_at(response_url)
        return reply

    def answer_at(self, response_url: str, timeout: float = 10.0) -> Reply:
        """The first message the app posted to ``response_url`` (waiting for it)."""
        path = response_url.removeprefix(self.fake.base)
        posted = self.fake.wait_for(
            lambda: [p for p in self.fake.response_posts if p["path"] == path], timeout
        )[0]
        message = {key: value for key, value in posted.items() if key != "path"}
        if isinstance(message.get("blocks"), str):
            message["blocks"] = json.loads(message["blocks"])
        return Reply(200, json.dumps(message), via="response_url")

    def interactive(self, payload: dict[str, Any], **post: Any) -> Reply:
        return self.post(urlencode({"payload": json.dumps(payload)}), **post)

    def event(
        self,
        event: dict[str, Any],
        *,
        team_id: str = "T0TEAM",
        event_id: str | None = None,
        **post: Any,
    ) -> Reply:
        envelope = {
            "token": "legacy",
            "team_id": team_id,
            "api_app_id": "A0SUMMIT",
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.post(json.dumps(envelope), content_type="application/json", **post)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


def opened_view(call_params: dict[str, Any]) -> dict[str, Any]:
    view = call_params["view"]
    parsed: dict[str, Any] = json.loads(view) if isinstance(view, str) else view
    return parsed


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("multi_external_select", "checkboxes"):
        return {"type": kind, "selected_options": element.get("initial_options", [])}
    if kind in ("static_select", "radio_buttons", "external_select"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    return {"type": kind, "value": element.get("initial_value")}


def _state_for(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind == "multi_external_select":
        options = [{"value": v, "text": {"type": "plain_text", "text": v}} for v in value]
        return {"type": kind, "selected_options": options}
    if kind == "checkboxes":  # ticked: the options whose values are given
        ticked = [o for o in element.get("options", []) if o["value"] in value]
        return {"type": kind, "selected_options": ticked}
    if kind in ("static_select", "radio_buttons", "external_select"):
        option = {"value": value, "text": {"type": "plain_text", "text": value}}
        return {"type": kind, "selected_option": option if value is not None else None}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    return {"type": kind, "value": value}


def view_submission(view: dict[str, Any], values: dict[str, Any], user_id: str) -> dict[str, Any]:
    """What Slack sends when a person submits ``view``: every input keeps its initial value
    unless ``values`` (by block id) says what the person typed or picked instead."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        block_id = block["block_id"]
        entry = (
            _state_for(element, values[block_id]) if block_id in values else _initial_state(element)
        )
        state[block_id] = {element["action_id"]: entry}
    return {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "summit"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0SUMMIT",
        "trigger_id": f"submit-{time.time_ns()}",
        "view": {
            **view,
            "id": "V0VIEW",
            "team_id": "T0TEAM",
            "state": {"values": state},
            "hash": "1.h",
        },
    }


def block_actions(
    user_id: str, action: dict[str, Any], *, response_url: str, trigger_id: str
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0TEAM"},
        "team": {"id": "T0TEAM", "domain": "summit"},
        "api_app_id": "A0SUMMIT",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": DEFAULT_CHANNEL, "name": "general"},
        "trigger_id": trigger_id,
        "response_url": response_url,
        "actions": [{"block_id": "b", "action_ts": "1.2", **action}],
    }


def message_action(
    user_id: str,
    text: str,
    *,
    channel: tuple[str, str],
    response_url: str,
    trigger_id: str,
    ts: str = "1716000000.000100",
) -> dict[str, Any]:
    """What Slack sends when a person picks "Save as summit fact" on a message."""
    channel_id, channel_name = channel
    return {
        "type": "message_action",
        "callback_id": "save_as_summit_fact",
        "user": {"id": user_id},
        "team": {"id": "T0TEAM"},
        "channel": {"id": channel_id, "name": channel_name},
        "message": {"type": "message", "ts": ts, "text": text},
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": ts,
    }

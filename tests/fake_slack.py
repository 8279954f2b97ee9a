"""A fake Slack Web API on 127.0.0.1 for tests: it records every call and enforces Slack's rules.

- Every method needs ``Authorization: Bearer <token>``: the bot token, or the app-level
  token for ``apps.connections.open``.
- A ``trigger_id`` opens one view, once, within 3 seconds of being issued (on its clock).
- ``chat.postMessage`` needs the bot to be a member of the channel (public channels can be
  joined with ``conversations.join``).
- Messages and views must respect Block Kit limits and carry a plain-text ``text``.
- ``fail_next`` makes a method answer 429 with Retry-After, or a 5xx, on demand.
- ``response_url`` posts (``/response/<id>``) are recorded too. Like Slack's, a response URL
  works 5 times within 30 minutes of being issued, then answers 404 ``used_url`` or
  ``expired_url``; ``expire`` ends one at once.
- ``slow`` makes a method take that many seconds before it answers.
- Several workspaces (``FakeWorkspace``), each with its own bot token, bot user, channels
  and users: a call with one workspace's token sees only that workspace's channels and
  people. ``T0TEAM`` (token ``BOT_TOKEN``) is there from the start; more come with
  ``tests/fake_oauth.py``, which answers ``oauth.v2.access``.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.slack_rules import (
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    block_kit_problems,
    option_problems,
)

__all__ = ["block_kit_problems", "option_problems"]

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
BOT_USER = "U0BOT"
TEAM = "T0TEAM"
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_LIFETIME = 30 * 60.0
RESPONSE_URL_USES = 5


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    team: str = TEAM


@dataclass
class FakeWorkspace:
    """One workspace the app is (or can be) installed in."""

    team_id: str
    name: str
    bot_user: str
    bot_id: str
    enterprise_id: str | None = None
    tokens: set[str] = field(default_factory=set)  # bot tokens Slack accepts for it now


@dataclass
class ForcedAnswer:
    status: int
    retry_after: int | None = None
    body: dict[str, Any] | None = None


class FakeSlack:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        self.response_posts: list[dict[str, Any]] = []
        self.channels: dict[str, Channel] = {}
        # Messages the app posted, by ts, as chat.update last left them.
        self.messages: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        # Uploaded files by id: name, length, content, and where they were shared.
        self.files: dict[str, dict[str, Any]] = {}
        self.socket_url: str | None = None
        default = FakeWorkspace(TEAM, "Summit", BOT_USER, "B0BOT", tokens={BOT_TOKEN})
        self.workspaces: dict[str, FakeWorkspace] = {TEAM: default}
        # The workspace of the call being answered (each call has a thread of its own).
        self._current = threading.local()
        self._triggers: dict[str, float] = {}
        # response URL path -> (issued at on the clock, uses so far)
        self._response_urls: dict[str, tuple[float, int]] = {}
        self._slow: dict[str, float] = {}
        self.in_flight = 0  # calls being answered right now (slow ones included)
        self._forced: dict[str, deque[ForcedAnswer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # Answer this share of chat.postMessage calls with 429 and Retry-After: 1.
        self.rate_limit_share = 0.0
        self._random = random.Random(429)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    # -- set-up for a test --------------------------------------------------------------

    def response_url(self) -> str:
        path = f"/response/{next(self._ids)}"
        with self._lock:
            self._response_urls[path] = (self.clock(), 0)
        return self.base + path

    def expire(self, response_url: str) -> None:
        """The response URL answers ``expired_url`` from now on, as after 30 minutes."""
        path = response_url.removeprefix(self.base)
        with self._lock:
            self._response_urls[path] = (self.clock() - RESPONSE_URL_LIFETIME - 1, 0)

    def slow(self, method: str, seconds: float) -> None:
        """Every call to ``method`` takes ``seconds`` before Slack answers (0 to stop)."""
        self._slow[method] = seconds

    def issue_trigger(self) -> str:
        trigger_id = f"trigger-{next(self._ids)}"
        with self._lock:
            self._triggers[trigger_id] = self.clock()
        return trigger_id

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        bot_member: bool = False,
        is_im: bool = False,
        is_mpim: bool = False,
        team: str = TEAM,
    ) -> Channel:
        members = {self.workspaces[team].bot_user} if bot_member or is_im else set()
        channel = Channel(channel_id, name, private or is_im or is_mpim, members, team=team)
        channel.is_im, channel.is_mpim = is_im, is_mpim
        self.channels[channel_id] = channel
        return channel

    def add_user(self, user_id: str, *, team: str = TEAM, **profile: Any) -> None:
        self.users[user_id] = {"id": user_id, "name": user_id.lower(), "team_id": team, **profile}

    @property
    def workspace(self) -> FakeWorkspace:
        """The workspace whose token the call being answered carries."""
        found: FakeWorkspace = getattr(self._current, "workspace", self.workspaces[TEAM])
        return found

    def _channel(self, channel_id: str) -> Channel | None:
        """A channel of the calling workspace (another's is not found, as in Slack)."""
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.team == self.workspace.team_id else None

    def workspace_of_token(self, token: str | None) -> FakeWorkspace | None:
        for workspace in self.workspaces.values():
            if token in workspace.tokens:
                return workspace
        return None

    def fail_next(
        self, method: str, status: int, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        for _ in range(times):
            self._forced[method].append(ForcedAnswer(status, retry_after))

    def answer_next(self, method: str, body: dict[str, Any]) -> None:
        self._forced[method].append(ForcedAnswer(200, body=body))

    # -- what happened -------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        with self._lock:
            return [
                call
                for call in self.calls
                if call.method == method and (ok is None or call.response.get("ok") == ok)
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.01)
        raise AssertionError("the fake Slack never saw what the test waited for")

    # -- the API ---------------------------------------------------------------------------

    def _handle(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if method.startswith("oauth."):
            return self.oauth(method, params)
        if token is None:
            return {"ok": False, "error": "not_authed"}
        workspace = self.workspace_of_token(token)
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        self._current.workspace = workspace
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(params)
        return result

    def oauth(self, method: str, _params: dict[str, Any]) -> dict[str, Any]:
        """OAuth's methods: see tests/fake_oauth.py."""
        return {"ok": False, "error": "unknown_method"}

    def api_auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        found = self.workspace
        return {
            "ok": True,
            "team_id": found.team_id,
            "team": found.name,
            "user_id": found.bot_user,
            "bot_id": found.bot_id,
            "enterprise_id": found.enterprise_id,
            "url": f"https://{found.team_id.lower()}.slack.invalid/",
        }

    def _message_problems(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if not params.get("text"):
            return {"ok": False, "error": "no_text", "detail": "a plain-text fallback is required"}
        problems = block_kit_problems(params.get("blocks"), MAX_MESSAGE_BLOCKS)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        if "<!channel>" in params["text"] or "<!here>" in params["text"]:
            return {"ok": False, "error": "mass_mention_refused_by_test"}
        return None

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel") in self.users:
            # Posting to a user id opens the app's direct-message channel with them.
            self.add_channel(f"D{params['channel']}", "dm", private=True, bot_member=True)
            params = {**params, "channel": f"D{params['channel']}"}
        channel = self._channel(params.get("channel", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        if self.workspace.bot_user not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        problem = self._message_problems(params)
        if problem:
            return problem
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        self.messages[ts] = {**params, "channel": channel.id, "ts": ts}
        return {"ok": True, "channel": channel.id, "ts": ts, "message": {"text": params["text"]}}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        posted = self.messages.get(params.get("ts", ""))
        if posted is None or posted["channel"] != params.get("channel"):
            return {"ok": False, "error": "message_not_found"}
        problem = self._message_problems(params)
        if problem:
            return problem
        self.messages[posted["ts"]] = {**posted, **params}
        return {"ok": True, "channel": posted["channel"], "ts": posted["ts"]}

    def api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        if self.workspace.bot_user not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        problem = self._message_problems(params)
        return problem or {"ok": True, "message_ts": f"{int(time.time())}.000100"}

    def api_conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel", ""))
        if channel is None or channel.is_private:
            return {"ok": False, "error": "channel_not_found"}
        channel.members.add(self.workspace.bot_user)
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    def api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel", ""))
        if channel is None or (
            channel.is_private and self.workspace.bot_user not in channel.members
        ):
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_private": channel.is_private,
                "is_member": self.workspace.bot_user in channel.members,
                "is_archived": channel.archived,
                "is_im": channel.is_im,
                "is_mpim": channel.is_mpim,
            },
        }

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}  # a Slack Connect guest carries their own team

    def api_users_conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user") or "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        joined = [
            {"id": channel.id, "name": channel.name}
            for channel in self.channels.values()
            if user in channel.members
            and not channel.is_im
            and channel.team == self.workspace.team_id
        ]
        return {"ok": True, "channels": joined, "response_metadata": {"next_cursor": ""}}

    # -- direct messages and files (files.uploadV2 is three steps in slack_sdk) ----------

    def api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users") or "").split(",")
        if len(users) != 1 or users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        team = self.workspace.team_id
        dm = f"D{users[0]}" if team == TEAM else f"D{team}{users[0]}"
        if dm not in self.channels:
            self.add_channel(dm, "dm", private=True, bot_member=True, team=team)
        return {"ok": True, "channel": {"id": dm}}

    def api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            length = 0
        if not params.get("filename") or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F0FILE{next(self._ids)}"
        with self._lock:
            self.files[file_id] = {"filename": params["filename"], "length": length}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        with self._lock:
            pending = self.files.get(file_id)
            if pending is None:
                return 404, "file_not_found"
            if len(data) != pending["length"]:
                return 400, "length_mismatch"
            pending["content"] = data
        return 200, "OK - 200"

    def api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        listed = params.get("files")
        listed = json.loads(listed) if isinstance(listed, str) else listed
        channel = self._channel(str(params.get("channel_id") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if self.workspace.bot_user not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        shared = []
        for entry in listed or []:
            stored = self.files.get(entry.get("id", ""))
            if stored is None or "content" not in stored:
                return {"ok": False, "error": "file_not_found"}
            stored.update(
                channel=channel.id,
                title=entry.get("title"),
                initial_comment=params.get("initial_comment"),
            )
            shared.append({"id": entry["id"], "title": entry.get("title")})
        return {"ok": True, "files": shared}

    def _view_problems(self, view: Any) -> dict[str, Any] | None:
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or "type" not in view:
            return {"ok": False, "error": "invalid_arguments"}
        problems = block_kit_problems(view.get("blocks"), MAX_VIEW_BLOCKS)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    def _use_trigger(self, trigger_id: str | None) -> dict[str, Any] | None:
        with self._lock:
            issued = self._triggers.pop(trigger_id or "", None)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if self.clock() - issued > TRIGGER_LIFETIME:
            return {"ok": False, "error": "expired_trigger_id"}
        return None

    def api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._view_problems(params.get("view"))
        if problem:
            return problem
        problem = self._use_trigger(params.get("trigger_id"))
        if problem:
            return problem
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", "hash": "h1"}}

    def api_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.api_views_open(params)

    def api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = self._view_problems(params.get("view"))
        return problem or {"ok": True, "view": {"id": params.get("view_id", "V1")}}

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        problem = self._view_problems(params.get("view"))
        return problem or {"ok": True, "view": {"id": f"V{next(self._ids)}"}}

    def api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("message_ts")
        return {"ok": True, "permalink": f"https://example.slack.com/archives/{channel}/p{ts}"}

    def _response_post(self, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            issued, uses = self._response_urls.get(path, (self.clock(), 0))
            if self.clock() - issued > RESPONSE_URL_LIFETIME:
                return 404, "expired_url"
            if uses >= RESPONSE_URL_USES:
                return 404, "used_url"
            self._response_urls[path] = (issued, uses + 1)
        problem = self._message_problems(params) if not params.get("delete_original") else None
        with self._lock:
            self.response_posts.append({"path": path, **params})
        if problem:
            return 400, problem
        return 200, {"ok": True}

    # -- HTTP plumbing -----------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.startswith("/upload/"):
                    status, text = fake._upload(
                        self.path.removeprefix("/upload/"), self.rfile.read(length)
                    )
                    self._reply(status, text)
                    return
                raw = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                if self.path.startswith("/response/"):
                    status, body = fake._response_post(self.path, params)
                    self._reply(status, body)
                    return
                method = self.path.removeprefix("/api/").split("?")[0]
                with fake._lock:
                    fake.in_flight += 1
                try:
                    if fake._slow.get(method):
                        time.sleep(fake._slow[method])
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                if auth.startswith("Basic "):  # oauth.v2.access: the app's id and secret
                    pair = base64.b64decode(auth.removeprefix("Basic ")).decode()
                    client_id, _, client_secret = pair.partition(":")
                    params |= {"client_id": client_id, "client_secret": client_secret}
                token = token or params.get("token")
                forced = fake._forced[method].popleft() if fake._forced[method] else None
                if (
                    forced is None
                    and method == "chat.postMessage"
                    and fake.rate_limit_share
                    and fake._random.random() < fake.rate_limit_share
                ):
                    forced = ForcedAnswer(429, retry_after=1)
                if forced is not None and forced.body is None:
                    body = {
                        "ok": False,
                        "error": "ratelimited" if forced.status == 429 else "fatal",
                    }
                    headers = {"Retry-After": str(forced.retry_after)} if forced.retry_after else {}
                    fake._record(Call(method, params, token, forced.status, body))
                    self._reply(forced.status, body, headers)
                    return
                answer = forced.body if forced is not None else None
                reply = answer if answer is not None else fake._handle(method, params, token)
                fake._record(Call(method, params, token, 200, reply))
                self._reply(200, reply)

            def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                # Response URLs answer their errors as plain text ("expired_url").
                plain = isinstance(body, str)
                payload = body.encode() if plain else json.dumps(body).encode()
                self.send_response(status)
                kind = "text/plain" if plain else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)


class DateClock:
    """An aware UTC datetime clock that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class ManualClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

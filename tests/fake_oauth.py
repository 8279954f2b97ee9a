"""Slack's OAuth on the fake Web API: workspaces that can install the app, the code Slack
hands the browser on its way back, ``oauth.v2.access`` for that code (and for refresh
tokens, when the app's tokens rotate), and a browser that installs the app the way a
person does: two GETs, carrying the state cookie from the first to the second."""

from __future__ import annotations

import http.client
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fake_slack import FakeSlack, FakeWorkspace

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
APP_ID = "A0SUMMIT"


@dataclass
class Grant:
    """What installing in a workspace gave (or a refresh gave since)."""

    workspace: FakeWorkspace
    installer: str
    org_wide: bool = False
    refresh_token: str | None = None


@dataclass
class OAuth:
    """The fake's OAuth state: codes waiting to be exchanged, refresh tokens, and how long
    tokens last (None: they never expire, as for an app without token rotation)."""

    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    expires_in: int | None = None
    exchanges: int = 0
    counter: Any = field(default_factory=lambda: itertools.count(1))


class FakeSlackWithOAuth(FakeSlack):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.oauth_state = OAuth()

    def add_workspace(
        self, team_id: str, name: str, *, enterprise_id: str | None = None
    ) -> FakeWorkspace:
        """A workspace that has not installed the app yet (its bot has no token)."""
        number = len(self.workspaces)
        workspace = FakeWorkspace(
            team_id, name, f"U0BOT{number}", f"B0BOT{number}", enterprise_id=enterprise_id
        )
        self.workspaces[team_id] = workspace
        return workspace

    def authorize(self, team_id: str, installer: str, *, org_wide: bool = False) -> str:
        """What Slack's authorize page does when ``installer`` approves: a code for the
        app's redirect URL."""
        code = f"code-{team_id}-{next(self.oauth_state.counter)}"
        self.oauth_state.codes[code] = Grant(self.workspaces[team_id], installer, org_wide)
        return code

    def revoke(self, team_id: str) -> None:
        """The workspace's tokens stop working (uninstalled, or revoked)."""
        self.workspaces[team_id].tokens.clear()

    def oauth(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method != "oauth.v2.access":
            return {"ok": False, "error": "unknown_method"}
        if (params.get("client_id"), params.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        state = self.oauth_state
        if params.get("grant_type") == "refresh_token":
            grant = state.refresh_tokens.pop(str(params.get("refresh_token")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            grant.workspace.tokens.clear()  # the old token stops working
        else:
            found = state.codes.pop(str(params.get("code")), None)
            if found is None:
                return {"ok": False, "error": "invalid_code"}
            grant = found
        state.exchanges += 1
        workspace = grant.workspace
        token = f"xoxb-{workspace.team_id.lower()}-{next(state.counter)}"
        workspace.tokens.add(token)
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": APP_ID,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": workspace.bot_user,
            "team": None if grant.org_wide else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": (
                {"id": workspace.enterprise_id, "name": f"{workspace.name} Org"}
                if workspace.enterprise_id
                else None
            ),
            "is_enterprise_install": grant.org_wide,
            "authed_user": {"id": grant.installer},
        }
        if state.expires_in is not None:
            refresh = f"xoxe-{workspace.team_id.lower()}-{next(state.counter)}"
            state.refresh_tokens[refresh] = grant
            answer |= {"refresh_token": refresh, "expires_in": state.expires_in}
        return answer


@dataclass
class Browser:
    """A person's browser against the app's server: it keeps cookies between requests."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()


def install(
    browser: Browser, fake: FakeSlackWithOAuth, team_id: str, installer: str, **grant: Any
) -> tuple[int, str]:
    """Installs the app in ``team_id`` as a person would: opens the install page, follows
    its "Add to Slack" link to Slack (where ``installer`` approves), and comes back to the
    app's redirect URL with the code and state. The success or failure page."""
    status, _headers, page = browser.get("/slack/install")
    assert status == 200, page
    link = page.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [CLIENT_ID], link
    state = query["state"][0]
    code = fake.authorize(team_id, installer, **grant)
    status, _headers, page = browser.get(
        "/slack/oauth_redirect?" + urlencode({"code": code, "state": state})
    )
    return status, page

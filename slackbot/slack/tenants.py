"""Which workspace a request is for, and what answers it there.

The workspace comes only from what Slack signed: the request's team (or, for an org-wide
install, its enterprise), never from text a person typed. Bolt's pipeline asks after its
authorization (``for_context``); the ingress's short-circuit for commands answered from
memory asks with the signed form (``for_body``, see slackbot.ingress). Both answer the
same: the workspace's services and the Web API client carrying its bot token, or None for a
workspace the app is not installed in, which then gets Slack's plain "install the app
first" answer and no data."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.request.internals import (
    extract_enterprise_id,
    extract_is_enterprise_install,
    extract_team_id,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from slackbot.slack.installations import workspace_of
from slackbot.slack.services import Services

logger = logging.getLogger(__name__)

NOT_INSTALLED = (
    "Summit Intel isn't installed in this workspace. Ask a workspace admin to install it "
    "(Add to Slack), then try again."
)


@dataclass(frozen=True)
class Tenant:
    """One workspace as listeners see it."""

    workspace: str
    services: Services
    client: WebClient


class Tenancy(Protocol):
    def for_context(self, context: BoltContext) -> Tenant | None:
        """The workspace of a request Bolt has authorized."""
        ...

    def for_body(self, body: dict[str, Any]) -> Tenant | None:
        """The workspace of a signed request's body, before Bolt has seen it."""
        ...


def workspace_of_body(body: dict[str, Any]) -> str:
    """The workspace a request's body is from, read as Bolt reads it."""
    return workspace_of(
        extract_enterprise_id(body),
        extract_team_id(body),
        extract_is_enterprise_install(body),
    )


def not_installed() -> BoltResponse:
    """What a request from a workspace without the app gets: an ephemeral line, as Bolt's
    own authorization answers."""
    return BoltResponse(status=200, body=NOT_INSTALLED)


class SingleTenant:
    """The one workspace of an app with one bot token: requests from any other team (a
    workspace that never installed it, sharing the signing secret's app) are refused. The
    team is the token's, asked of auth.test once (as Bolt's own authorization does), or
    given (the console's)."""

    def __init__(self, services: Services, client: WebClient, team_id: str | None = None):
        self.tenant = Tenant(team_id or "", services, client)
        self._team_id = team_id
        self._lock = threading.Lock()

    def team_id(self) -> str | None:
        if self._team_id is None:
            with self._lock:
                if self._team_id is None:
                    try:
                        found = self.tenant.client.auth_test()
                    except (SlackApiError, SlackClientError) as error:
                        logger.warning("auth.test failed: %s", error)
                        return None
                    self._team_id = str(found.get("team_id") or "")
                    self.tenant = Tenant(self._team_id, self.tenant.services, self.tenant.client)
        return self._team_id

    def _ours(self, team_id: str | None, enterprise_id: str | None) -> bool:
        ours = self.team_id()
        # A grid organisation's requests may name the organisation rather than the team.
        return ours is not None and ours in (team_id, enterprise_id)

    def for_context(self, context: BoltContext) -> Tenant | None:
        if not self._ours(context.team_id, context.enterprise_id):
            return None
        return self.tenant

    def for_body(self, body: dict[str, Any]) -> Tenant | None:
        if not self._ours(extract_team_id(body), extract_enterprise_id(body)):
            return None
        return self.tenant

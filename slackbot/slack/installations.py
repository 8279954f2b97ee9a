"""slack_sdk's installation and OAuth state stores over ``storage.api.Installations``, so
that Bolt's OAuth flow, its authorization of every request and its token rotation keep
everything in the app's own PostgreSQL database.

slack_sdk ships SQLAlchemy stores; these are the same contract on the database the app
already has (through storage's interface, so this layer never opens a connection itself).
Documents are written as slack_sdk's own stores write them (the model's attributes) and
read back with the model's constructor, as its S3 store does."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from storage.api import Installations, utc_now

logger = logging.getLogger(__name__)

INSTALLATION, BOT = "installation", "bot"
STATE_SECONDS = 600


def workspace_of(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> str:
    """The workspace whose facts a request or installation is about: the organisation for an
    org-wide install (one fact space for all its workspaces), else the team."""
    if org_wide and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id or ""


def _key(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> tuple[str, str]:
    # An org-wide installation is the organisation's, whichever of its teams asks.
    return enterprise_id or "", "" if org_wide else team_id or ""


class SummitInstallationStore(InstallationStore):
    def __init__(self, records: Installations, client_id: str) -> None:
        self.records = records
        self.client_id = client_id
        self._logger = logger

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def save(self, installation: Installation) -> None:
        enterprise, team = _key(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        doc = dict(vars(installation))
        for user in ("", installation.user_id or ""):
            self.records.save(INSTALLATION, self.client_id, enterprise, team, user, doc)
        self.save_bot(installation.to_bot())

    def save_bot(self, bot: Bot) -> None:
        if bot.bot_token is None:
            return
        enterprise, team = _key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        self.records.save(BOT, self.client_id, enterprise, team, "", dict(vars(bot)))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        doc = self.records.find(BOT, self.client_id, enterprise, team)
        if doc is None and not is_enterprise_install and enterprise:
            # A request from one workspace of an organisation installed org-wide.
            doc = self.records.find(BOT, self.client_id, enterprise, "")
        return Bot(**doc) if doc is not None else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        enterprise, team = _key(enterprise_id, team_id, is_enterprise_install)
        doc = self.records.find(INSTALLATION, self.client_id, enterprise, team, user_id or "")
        if doc is None and not is_enterprise_install and enterprise:
            doc = self.records.find(INSTALLATION, self.client_id, enterprise, "", user_id or "")
        if doc is None:
            return None
        installation = Installation(**doc)
        bot = self.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and bot.bot_token != installation.bot_token:
            # The bot's token was rotated since this installation was written.
            installation.bot_token = bot.bot_token
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        enterprise, team = _key(enterprise_id, team_id, False)
        self.records.delete(BOT, self.client_id, enterprise, team)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        enterprise, team = _key(enterprise_id, team_id, False)
        self.records.delete(INSTALLATION, self.client_id, enterprise, team, user_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        enterprise, team = _key(enterprise_id, team_id, False)
        self.records.delete(None, self.client_id, enterprise, team)


class SummitOAuthStateStore(OAuthStateStore):
    """One-use states of the OAuth flow, good for ``expiration_seconds``."""

    def __init__(
        self,
        records: Installations,
        expiration_seconds: int = STATE_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.records = records
        self.expiration = timedelta(seconds=expiration_seconds)
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def issue(self, *_args: Any, **_kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        self.records.issue_state(state, self.clock() + self.expiration)
        return state

    def consume(self, state: str) -> bool:
        return bool(state) and self.records.consume_state(state, self.clock())

"""Many workspaces in one app: each installed workspace's services, built when it is first
asked for, over its own store and posting with its own bot token.

Bolt's OAuth support does the installing and authorizes every request through the
installation store; this module adds what an app with a store per workspace needs around
it: setting up a new installation's store (the summit seed, unless SUMMITBOT_SEED=none), the
tenancy that hands each request its workspace's services (``slackbot.slack.tenants``), and
Web API clients whose token is the installation's current one, rotated before it expires."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from cachetools import TTLCache
from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.web import SlackResponse

from slackbot.config import Settings
from slackbot.slack.installations import (
    SummitInstallationStore,
    workspace_of,
)
from slackbot.slack.services import Services
from slackbot.slack.tenants import Tenant, workspace_of_body
from slackbot.slack.web_client import MeasuredWebClient
from storage.api import (
    Installations,
    LeastRecentlyUsed,
    Repository,
    WorkspaceRecord,
    Workspaces,
    utc_now,
)

logger = logging.getLogger(__name__)


class ServicesFor(Protocol):
    """Builds one workspace's services over its store, posting with its client."""

    def __call__(
        self,
        store: Repository,
        client: WebClient,
        *,
        admins: frozenset[str],
        member_of_workspace: Callable[[dict[str, Any]], bool],
        left: Callable[[str], None],
    ) -> Services: ...


# A token is refreshed this long before it expires (Bolt's default too).
ROTATE_MINUTES = 120
# How long a workspace's bot (its token) and whether it is installed are remembered: an
# uninstall is seen at once on the replica that got the event, within this on the others.
BOT_CACHE_SECONDS = 10.0


class BotTokens:
    """Each workspace's bot token, as the installation store has it now: rotated (and the
    new token stored) before it is used when it expires within ``ROTATE_MINUTES``."""

    def __init__(
        self, store: SummitInstallationStore, rotator: TokenRotator, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.rotator = rotator
        self._bots: TTLCache[str, Bot | None] = TTLCache(4096, BOT_CACHE_SECONDS, timer=clock)
        self._lock = threading.Lock()

    def bot(self, record: WorkspaceRecord) -> Bot | None:
        with self._lock:  # one look-up (and rotation) at a time: a refresh token is used once
            bot = self._bots.get(record.workspace)
            if bot is not None and not self._expiring(bot):
                return bot
            bot = self.store.find_bot(
                enterprise_id=record.enterprise_id or None,
                team_id=record.team_id or None,
                is_enterprise_install=record.org_wide,
            )
            if bot is not None and bot.bot_refresh_token is not None:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_MINUTES
                )
                if refreshed is not None:
                    self.store.save_bot(refreshed)  # stored before it is used
                    bot = refreshed
            self._bots[record.workspace] = bot
            return bot

    @staticmethod
    def _expiring(bot: Bot) -> bool:
        """Due for rotation: then the store is asked again (Bolt may have rotated it
        already while answering a request) before rotating."""
        expires_at = bot.bot_token_expires_at
        return expires_at is not None and expires_at <= time.time() + ROTATE_MINUTES * 60

    def forget(self, workspace: str) -> None:
        with self._lock:
            self._bots.pop(workspace, None)


class WorkspaceClient(MeasuredWebClient):
    """One workspace's Web API client: every call carries the workspace's current bot
    token (looked up, and rotated when due, just before the call), so a client handed to a
    digest poster or App Home board never holds a token that has since rotated."""

    def __init__(self, token: Callable[[], str | None], **options: Any) -> None:
        super().__init__(**options)
        self._current_token = token

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        self.token = self._current_token()
        return super().api_call(api_method, **kwargs)


def client_for(template: WebClient, token: Callable[[], str | None]) -> WorkspaceClient:
    return WorkspaceClient(
        token,
        base_url=template.base_url,
        timeout=template.timeout,
        headers=template.headers,
        logger=template.logger,
        retry_handlers=list(template.retry_handlers),
    )


class WorkspaceTenants:
    """Every installed workspace's services (``slackbot.slack.tenants.Tenancy``)."""

    def __init__(
        self,
        settings: Settings,
        workspaces: Workspaces,
        installations: Installations,
        tokens: BotTokens,
        template: WebClient,
        services_for: ServicesFor,
        *,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``services_for``: builds a workspace's services over its store, posting with its
        client (the composition root, slackbot.app, passes it in)."""
        self.settings = settings
        self.services_for = services_for
        self.workspaces = workspaces
        self.installations = installations
        self.tokens = tokens
        self.template = template
        self.clock = clock
        self.monotonic = monotonic
        # Every installed workspace, read in one query every BOT_CACHE_SECONDS (a request
        # never waits on the database to know its workspace); workspaces found not to be
        # installed are remembered as long, so a stranger's requests do not query either.
        self._installed: dict[str, WorkspaceRecord] = {}
        self._installed_at = -math.inf
        self._reloading = threading.Lock()
        self._strangers: TTLCache[str, bool] = TTLCache(65536, BOT_CACHE_SECONDS, timer=monotonic)
        # The workspaces served now, least recently asked for first: at most
        # settings.workspace_cache (SUMMITBOT_WORKSPACE_CACHE), as the workspaces' stores.
        self._tenants: LeastRecentlyUsed[str, Tenant] = LeastRecentlyUsed(settings.workspace_cache)
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        # Tenants in use by scheduled work (``using``), by id: one let go of meanwhile is
        # closed when its last user is done, not under a digest waiting out a 429.
        self._users: Counter[int] = Counter()
        self._let_go_in_use: dict[int, Tenant] = {}
        self._when_built: list[Callable[[Tenant], None]] = []

    # -- the tenancy ------------------------------------------------------------------

    def for_context(self, context: BoltContext) -> Tenant | None:
        if context.authorize_result is None:
            return None
        return self.tenant(
            workspace_of(context.enterprise_id, context.team_id, context.is_enterprise_install)
        )

    def for_body(self, body: dict[str, Any]) -> Tenant | None:
        return self.tenant(workspace_of_body(body))

    def record(self, workspace: str) -> WorkspaceRecord | None:
        """The workspace, while it is installed."""
        if self.monotonic() - self._installed_at > BOT_CACHE_SECONDS:
            self._reload()
        with self._lock:
            found = self._installed.get(workspace)
            if found is not None or not workspace or workspace in self._strangers:
                return found
        # Not installed at the last look: installed since (on another replica), or never.
        record = self.installations.workspace(workspace)
        with self._lock:
            if record is not None and record.active:
                self._installed[workspace] = record
                return record
            self._strangers[workspace] = True
        return None

    def _reload(self) -> None:
        """Every installed workspace, in one query; one thread reloads while the others go
        on with what was read last."""
        if not self._reloading.acquire(blocking=False):
            return
        try:
            installed = {r.workspace: r for r in self.installations.workspaces() if r.active}
            with self._lock:
                self._installed = installed
                self._installed_at = self.monotonic()
                self._strangers.clear()
        finally:
            self._reloading.release()

    def tenant(self, workspace: str) -> Tenant | None:
        """The workspace's services, over its store as the workspaces hold it now: asking
        for the store keeps it among the most recently used, and a store let go of (the
        working set was full) is read back, and the services built on it again."""
        return self._tenant(workspace, use=False)

    @contextmanager
    def using(self, workspace: str) -> Iterator[Tenant | None]:
        """The workspace's services for a piece of scheduled work, which may outlast a
        hundred requests (a digest waiting out a 429, a slow feed): if the working set lets
        them go meanwhile, they are closed when the work is over, not under it."""
        tenant = self._tenant(workspace, use=True)
        try:
            yield tenant
        finally:
            if tenant is not None:
                self._done_with(tenant)

    def when_built(self, receiver: Callable[[Tenant], None]) -> None:
        """Calls ``receiver`` with every workspace's services built from now on (the
        scheduled work listens to their digests there)."""
        self._when_built.append(receiver)

    def _tenant(self, workspace: str, *, use: bool) -> Tenant | None:
        record = self.record(workspace)
        if record is None:
            return None
        store = self.workspaces.store(workspace)
        with self._lock:
            tenant = self._tenants.get(workspace)
            if tenant is not None and tenant.services.intel.store is store:
                return self._handed_out(tenant, use)
            building = self._building.setdefault(workspace, threading.Lock())
        with building:  # one workspace's first request never holds up another's
            with self._lock:
                tenant = self._tenants.peek(workspace)
                if tenant is not None and tenant.services.intel.store is store:
                    return self._handed_out(tenant, use)
            built = self._build(record, store)
            for receiver in self._when_built:
                receiver(built)
            with self._lock:
                dropped = self._tenants.put(workspace, built)
                for old_workspace, _old in dropped:
                    self._building.pop(old_workspace, None)
                self._handed_out(built, use)
            for old in [tenant, *(old for _workspace, old in dropped)]:
                if old is not None and old is not built:
                    self._let_go(old)
            return built

    def _handed_out(self, tenant: Tenant, use: bool) -> Tenant:
        """(Under the lock.) Counts a user of ``tenant`` for ``using``."""
        if use:
            self._users[id(tenant)] += 1
        return tenant

    def _done_with(self, tenant: Tenant) -> None:
        with self._lock:
            self._users[id(tenant)] -= 1
            if self._users[id(tenant)] > 0:
                return
            del self._users[id(tenant)]
            waiting = self._let_go_in_use.pop(id(tenant), None)
        if waiting is not None:
            waiting.services.close()

    def _let_go(self, tenant: Tenant) -> None:
        """Closes services no longer held, once nothing uses them."""
        with self._lock:
            if self._users[id(tenant)] > 0:
                self._let_go_in_use[id(tenant)] = tenant
                return
            self._users.pop(id(tenant), None)
        tenant.services.close()

    def _build(self, record: WorkspaceRecord, store: Repository) -> Tenant:
        def token() -> str | None:
            bot = self.tokens.bot(record)
            return bot.bot_token if bot is not None else None

        client = client_for(self.template, token)

        def ours(user: dict[str, Any]) -> bool:
            # A guest from another organisation (Slack Connect) is never this one's admin.
            if record.org_wide:
                enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
                return bool(enterprise == record.enterprise_id)
            return bool(user.get("team_id") == record.team_id)

        services = self.services_for(
            store,
            client,
            admins=frozenset({record.installed_by}) if record.installed_by else frozenset(),
            member_of_workspace=ours,
            left=lambda reason: self.uninstalled(record.workspace, reason),
        )
        return Tenant(record.workspace, services, client)

    # -- installing and leaving -------------------------------------------------------

    def installed(self, installation: Installation) -> None:
        """A new (or renewed) installation, stored by Bolt: the workspace's store made and
        seeded, unless it was kept from before."""
        org_wide = bool(installation.is_enterprise_install)
        workspace = workspace_of(installation.enterprise_id, installation.team_id, org_wide)
        record = WorkspaceRecord(
            workspace=workspace,
            enterprise_id=installation.enterprise_id or "",
            team_id="" if org_wide else installation.team_id or "",
            org_wide=org_wide,
            name=(installation.enterprise_name if org_wide else installation.team_name) or "",
            installed_at=self.clock(),
            installed_by=installation.user_id or "",
        )
        kept = self.installations.installed(record)
        store = self.workspaces.store(workspace)
        if self.settings.seed == "summit" and store.event() is None:
            report = store.seed()
            logger.info(
                "installed in %s (%s): seeded with %d facts",
                workspace,
                record.name,
                report.facts_written,
            )
        else:
            logger.info("installed in %s (%s)%s", workspace, record.name, " again" * kept)
        self.forget(workspace)

    def uninstalled(self, workspace: str, reason: str) -> None:
        """The app was uninstalled there, or its bot token revoked: nothing more is posted
        (its jobs stop here at once, on the scheduler's leader within its next look), the
        installation is removed, and its data is deleted after the retention days (at once
        with 0; reinstalling before then finds it as it was)."""
        with self._lock:
            tenant = self._tenants.peek(workspace)
        if tenant is not None:
            tenant.services.digests.halt(reason)
        retention = timedelta(days=self.settings.uninstall_retention_days)
        if not retention:
            logger.warning("%s: %s; its data goes now", workspace, reason)
            self.purge(workspace)
            return
        delete_installation(self.tokens.store, self.installations.workspace(workspace))
        now = self.clock()
        self.installations.uninstalled(workspace, now, now + retention)
        logger.warning("%s: %s; its data goes on %s", workspace, reason, now + retention)
        self.forget(workspace)

    def purge(self, workspace: str) -> None:
        """Deletes everything of the workspace: its store, installation and record. The
        record goes before what is remembered here: forgotten first, the workspace would be
        built again by a request or the scheduler's next look while still on record."""
        purge_workspace(self.workspaces, self.installations, self.tokens.store.client_id, workspace)
        self.forget(workspace)

    def purge_due(self) -> list[str]:
        """Deletes the workspaces whose retention after an uninstall is over."""
        due = self.installations.due_for_deletion(self.clock())
        for workspace in due:
            self.purge(workspace)
        return due

    def active(self) -> list[WorkspaceRecord]:
        return [record for record in self.installations.workspaces() if record.active]

    def forget(self, workspace: str) -> None:
        """Drops what is remembered of the workspace (its services are built again)."""
        with self._lock:
            self._installed.pop(workspace, None)
            self._strangers.pop(workspace, None)
            tenant = self._tenants.pop(workspace)
        self.tokens.forget(workspace)
        if tenant is not None:
            self._let_go(tenant)

    def open_tenants(self) -> list[Tenant]:
        with self._lock:
            return [tenant for _workspace, tenant in self._tenants.items()]

    def close(self) -> None:
        for tenant in self.open_tenants():
            tenant.services.close()


def purge_workspace(
    workspaces: Workspaces, installations: Installations, client_id: str, workspace: str
) -> None:
    """Deletes everything stored of a workspace: its facts and every other record, its
    installation (the bot's token) and the record of its life."""
    store = SummitInstallationStore(installations, client_id)
    delete_installation(store, installations.workspace(workspace))
    workspaces.delete(workspace)
    installations.forget(workspace)
    logger.warning("deleted every record of workspace %s", workspace)


def delete_installation(store: SummitInstallationStore, record: WorkspaceRecord | None) -> None:
    """The workspace's installations and bot (its tokens), as the installation store keeps
    them."""
    if record is not None:
        store.delete_all(enterprise_id=record.enterprise_id or None, team_id=record.team_id or None)

"""The composition root: builds the one Bolt app that Slack (HTTP or Socket Mode) and the
local console all use, for one workspace (``build``) or for every workspace that installs
it (``build_for_workspaces``), with every service's collaborators passed in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.error import BoltError
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from handlers import register_listeners
from handlers.commands import COMMANDS
from slackbot.config import ConfigError, Settings
from slackbot.core.admins import AdminPolicy
from slackbot.core.corrections import CorrectionService
from slackbot.core.curation import Curator
from slackbot.core.digests import DigestService
from slackbot.core.digests.events import DigestEvents
from slackbot.core.feeds import FeedService, Fetcher, PollReport, ReviewQueue
from slackbot.core.intel import SummitIntel
from slackbot.core.signals import Signal
from slackbot.ingress import Ingress
from slackbot.slack import i18n
from slackbot.slack.answering import AnswerCache
from slackbot.slack.delivery import SlackCorrectionPoster, SlackDigestPoster, user_lookup
from slackbot.slack.home import HomeBoard, HomeSources, NoHomes
from slackbot.slack.ids import INSTALL_PATH, REDIRECT_PATH
from slackbot.slack.installations import SummitInstallationStore, SummitOAuthStateStore
from slackbot.slack.listener_runner import PromptApp
from slackbot.slack.manifest import BOT_SCOPES
from slackbot.slack.oauth import SummitOAuthFlow, SummitOAuthSettings, callback_options
from slackbot.slack.reviewing import NoReviewChannel, ReviewDesk
from slackbot.slack.services import Services
from slackbot.slack.surface import ConsoleSurface, SlackSurface
from slackbot.slack.tenants import NOT_INSTALLED, SingleTenant, Tenancy, not_installed
from slackbot.slack.web_client import MeasuredWebClient, retry_handlers
from slackbot.tenancy import ROTATE_MINUTES, BotTokens, WorkspaceTenants
from storage.api import Installations, Repository, Workspaces, utc_now

logger = logging.getLogger(__name__)

CONSOLE_TEAM = "T0CONSOLE"
CONSOLE_USER = "U0CONSOLE"
CONSOLE_BOT_USER = "U0SUMMITBOT"
# Listeners that answer after acknowledging wait on Slack (users.info, chat.*), each holding a
# thread; Bolt's default pool (cores + 4 threads) fills up behind a few slow Slack calls and
# then acknowledges nothing within 3 seconds.
LISTENER_THREADS = 64
PARSE_PROCESSES = 1
# Recording polls takes at most this share of a core while serving (see PollRecorder).
RECORD_CPU_SHARE = 0.25


def make_web_client(settings: Settings) -> WebClient:
    """A Web API client that waits out 429s and retries 5xx and dropped connections."""
    return MeasuredWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=retry_handlers(),
    )


class _SpuriousTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when it is handed a configured
    client (or, in the console, an authorize function), then warns that the token "will be
    unused" or "ignored": the client carries that very token, so the warning says nothing."""

    SPURIOUS = (warning_client_prioritized_and_token_skipped(), warning_token_skipped())

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.SPURIOUS


def bolt_logger() -> logging.Logger:
    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _SpuriousTokenWarning) for f in logger.filters):
        logger.addFilter(_SpuriousTokenWarning())
    return logger


def _console_authorize(**_kwargs: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None,
        team_id=CONSOLE_TEAM,
        bot_token="xoxb-console",
        bot_user_id=CONSOLE_BOT_USER,
        bot_id="B0CONSOLE",
    )


@dataclass(frozen=True)
class Built:
    app: App
    services: Services
    ingress: Ingress


def build_ingress(settings: Settings, store: Repository, **options: Any) -> Ingress:
    return build(settings, store, **options).ingress


def build_services(
    settings: Settings,
    store: Repository,
    client: WebClient,
    *,
    admins: frozenset[str],
    console: bool = False,
    review_channel: str | None = None,
    member_of_workspace: Callable[[dict[str, Any]], bool] | None = None,
    left: Callable[[str], None] | None = None,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> Services:
    """One workspace's services over its store, posting with ``client`` (which carries the
    workspace's bot token). ``admins``: user ids who curate whatever Slack says; the
    console's operator is one, as they have the store's file in hand."""
    admin_policy = AdminPolicy(
        admins,
        None if console else user_lookup(client),
        workspace_admins=settings.workspace_admins,
        member_of_workspace=member_of_workspace,
        clock=monotonic,
    )
    intel = SummitIntel(store, clock=clock, stale_days=settings.stale_days)
    curator = Curator(store, clock)
    corrections = CorrectionService(
        store, None if console else SlackCorrectionPoster(client), clock=clock
    )
    digest_events = DigestEvents()
    # What a digest showed is remembered, so that its facts' corrections follow it.
    digest_events.posted.connect(
        lambda channel, ts, digest: corrections.announce(
            [development.fact for development in digest.developments], channel, ts, "digest"
        )
    )
    digests = DigestService(
        intel,
        None if console else SlackDigestPoster(client),
        clock=clock,
        grace=timedelta(hours=settings.digest_grace_hours),
        events=digest_events,
    )
    review = ReviewQueue(
        intel,
        curator,
        clock=clock,
        configured_channel=review_channel,
        timezone=settings.timezone,
    )
    polled: Signal[[list[PollReport]]] = Signal()
    feeds = FeedService(
        intel,
        Fetcher(allow_private=settings.feeds_allow_private, proxy=settings.feeds_proxy),
        clock=clock,
        # Answering Slack and polling in one process, documents are parsed in a worker
        # process and recording rests (see feeds.preparing, PollRecorder); a process that
        # only answers (its polls are an admin's rare "poll now") or only works need not.
        parse_processes=PARSE_PROCESSES if settings.role == "both" and not console else 0,
        record_cpu_share=RECORD_CPU_SHARE if settings.role == "both" and not console else 1.0,
        polled=polled,
    )
    desk: ReviewDesk | NoReviewChannel = NoReviewChannel()
    board: HomeBoard | NoHomes = NoHomes()
    if not console:
        desk = ReviewDesk(client, review, intel, settings.timezone)
        sources = HomeSources(intel, digests, admin_policy, review, feeds, settings.timezone)
        board = HomeBoard(client, sources, monotonic=monotonic)
    polled.connect(desk.after_poll)
    # The admins' queue count: candidates do not move the store's version.
    polled.connect(lambda _reports: board.refresh())
    return Services(
        settings.timezone,
        intel,
        curator,
        admin_policy,
        digests,
        AnswerCache(store, clock=clock),
        review,
        feeds,
        corrections,
        desk,
        board,
        left or digests.halt,
        ConsoleSurface() if console else SlackSurface(),
    )


def build(
    settings: Settings,
    store: Repository,
    *,
    console_secret: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> Built:
    """The Bolt app and its services; with ``console_secret`` it needs no Slack at all."""
    client = make_web_client(settings)
    console = console_secret is not None
    secret = console_secret if console_secret is not None else settings.signing_secret or ""
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener")
    try:
        if console_secret is not None:
            app = PromptApp(
                signing_secret=secret,
                authorize=_console_authorize,
                client=client,
                logger=bolt_logger(),
                listener_executor=executor,
            )
        else:
            # The client carries the bot token (and the API URL and retry handlers).
            app = PromptApp(
                signing_secret=secret,
                client=client,
                logger=bolt_logger(),
                listener_executor=executor,
            )
    except BoltError as error:
        raise ConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({error}); copy the Bot User OAuth Token again"
        ) from None
    except OSError as error:  # auth.test at start-up could not reach Slack at all
        raise ConfigError(
            f"cannot reach Slack's Web API at {settings.api_url or 'slack.com'} ({error}); "
            "check this machine's network (and SLACK_API_URL if it is set)"
        ) from None
    services = build_services(
        settings,
        store,
        client,
        admins=settings.admins | {CONSOLE_USER} if console else settings.admins,
        console=console,
        review_channel=settings.review_channel,
        clock=clock,
        monotonic=monotonic,
    )

    tenancy = SingleTenant(services, client, CONSOLE_TEAM if console else None)
    ingress = serve_workspaces(app, tenancy, secret, settings.language)
    return Built(app, services, ingress)


def serve_workspaces(app: App, tenancy: Tenancy, secret: str, language: str) -> Ingress:
    """Every listener, handed the services of the request's workspace; a request from a
    workspace the app is not installed in is refused before any listener runs. Returns the
    one way into the app (HTTP, Socket Mode and the console all take it)."""
    i18n.set_default(language)

    @app.middleware
    def provide_services(
        context: BoltContext, body: dict[str, Any], next: Any
    ) -> BoltResponse | None:
        if context.team_id is None and context.enterprise_id is None:
            # Nothing Slack sends for a workspace lacks both: as Bolt answers a request no
            # listener takes.
            return BoltResponse(status=404, body="")
        tenant = tenancy.for_context(context)
        if tenant is None:
            logger.info("refused a request from %s: not installed there", context.team_id)
            return not_installed()
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not tenant.services.first_delivery(str(event_id)):
            # Slack retries an event it thinks was missed (X-Slack-Retry-Num), and every
            # replica may get one: it is answered once.
            logger.info("event %s was delivered before: acknowledged, not answered again", event_id)
            return BoltResponse(status=200, body="")
        context["services"] = tenant.services
        i18n.use_for(body)
        next()
        return None

    @app.error
    def log_error(error: Exception, body: dict[str, Any]) -> None:
        logger.error("listener failed for a %s request: %r", body.get("type", "command"), error)

    register_listeners(app)
    return Ingress(app, tenancy, secret, log_error, COMMANDS)


@dataclass(frozen=True)
class BuiltForWorkspaces:
    app: App
    tenants: WorkspaceTenants
    ingress: Ingress


def build_for_workspaces(
    settings: Settings,
    workspaces: Workspaces,
    installations: Installations,
    *,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
) -> BuiltForWorkspaces:
    """The Bolt app for any number of workspaces, installed through Slack's OAuth."""
    assert settings.client_id and settings.client_secret
    template = make_web_client(settings)  # no token: the API URL and retry handlers
    store = SummitInstallationStore(installations, settings.client_id)
    rotator = TokenRotator(
        client_id=settings.client_id, client_secret=settings.client_secret, client=template
    )
    tokens = BotTokens(store, rotator, monotonic)
    tenants = WorkspaceTenants(
        settings,
        workspaces,
        installations,
        tokens,
        template,
        partial(build_services, settings, clock=clock, monotonic=monotonic),
        clock=clock,
        monotonic=monotonic,
    )
    oauth_settings = SummitOAuthSettings(
        client=template,
        logger=bolt_logger(),
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=[scope for scope, _why in BOT_SCOPES],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SummitOAuthStateStore(installations, clock=clock),
        token_rotation_expiration_minutes=ROTATE_MINUTES,
        callback_options=callback_options(tenants.installed),
    )
    app = PromptApp(
        signing_secret=settings.signing_secret or "",
        client=template,
        oauth_flow=SummitOAuthFlow(client=template, settings=oauth_settings),
        logger=bolt_logger(),
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
        user_facing_authorize_error_message=NOT_INSTALLED,
    )
    ingress = serve_workspaces(app, tenants, settings.signing_secret or "", settings.language)
    return BuiltForWorkspaces(app, tenants, ingress)

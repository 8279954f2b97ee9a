"""Settings from the environment (and ``.env``), checked once at start-up.

A missing or malformed setting stops start-up with one line naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DB = "./data/summit.json"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says what to do."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path(DEFAULT_DB)
    # PostgreSQL for several replicas (storage.postgres); None: the embedded store at db_path.
    database_url: str | None = None
    admins: frozenset[str] = frozenset()
    timezone: str = "UTC"
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object a line (slackbot.logs)
    # What this process does (slackbot.running): "both" answers Slack and does the
    # scheduled work, "serve" only answers, "worker" only does the scheduled work.
    role: str = "both"
    # /metrics on the serving port (metrics), or on a port of its own (metrics_port).
    metrics: bool = False
    metrics_port: int | None = None
    workspace_admins: bool = True
    digest_grace_hours: float = 6.0
    # Where new candidates are posted for review, until an admin runs /summit review here.
    review_channel: str | None = None
    # Tests and local feed servers only: fetch feeds on loopback and private addresses.
    feeds_allow_private: bool = False
    # The one proxy feed fetches go through; the environment's HTTP(S)_PROXY is ignored.
    feeds_proxy: str | None = None
    # An Expected fact open longer than this is marked stale (slackbot.core.claims).
    stale_days: int = 90
    # The interface's language (en or ko) where a request's Slack locale does not decide.
    language: str = "en"
    # Many workspaces, installed through Slack's OAuth (SLACK_CLIENT_ID and _SECRET).
    client_id: str | None = None
    client_secret: str | None = None
    # What a new installation's store starts with: the summit seed, or nothing.
    seed: str = "summit"
    # How long an uninstalled workspace's data is kept (reinstalling within it restores it).
    uninstall_retention_days: int = 30
    # How many workspaces a process (serving, working, or both) holds in memory at most
    # (SUMMITBOT_WORKSPACE_CACHE; None: all): the least recently asked for is let go of and
    # read back from PostgreSQL when it is next asked for. A workspace of 100 facts holds
    # about 0.4 MB and loads in about 8 ms.
    workspace_cache: int | None = 200

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token is not None and not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN must be a bot token starting with xoxb- "
                "(Slack app settings → OAuth & Permissions)"
            )
        app_token = get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
                "(Slack app settings → Basic Information → App-Level Tokens)"
            )
        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        if not re.match(r"^https?://[^\s/]+", api_url):
            raise ConfigError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
        if not api_url.endswith("/"):
            api_url += "/"
        admins = frozenset(
            admin.strip() for admin in (get("SUMMITBOT_ADMINS") or "").split(",") if admin.strip()
        )
        for admin in admins:
            if not _USER_ID.match(admin):
                raise ConfigError(
                    f"SUMMITBOT_ADMINS has {admin!r}, which is not a Slack user id "
                    "(like U012AB3CD); separate ids with commas"
                )
        timezone = get("SUMMITBOT_TZ") or "UTC"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"SUMMITBOT_TZ {timezone!r} is not a time zone; use an IANA name such as Asia/Seoul"
            ) from None
        workspace_admins = (get("SUMMITBOT_WORKSPACE_ADMINS") or "true").lower()
        if workspace_admins not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError("SUMMITBOT_WORKSPACE_ADMINS must be true or false")
        grace = get("SUMMITBOT_DIGEST_GRACE_HOURS") or "6"
        try:
            digest_grace_hours = float(grace)
            if not 0 <= digest_grace_hours <= 168:
                raise ValueError
        except ValueError:
            raise ConfigError(
                "SUMMITBOT_DIGEST_GRACE_HOURS must be a number of hours from 0 to 168"
            ) from None
        review_channel = get("SUMMITBOT_REVIEW_CHANNEL")
        if review_channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", review_channel):
            raise ConfigError(
                f"SUMMITBOT_REVIEW_CHANNEL has {review_channel!r}, which is not a channel id "
                "(like C0123ABCD: open the channel's details in Slack, the id is at the bottom)"
            )
        database_url = get("SUMMITBOT_DATABASE_URL") or None
        if database_url and not database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(
                "SUMMITBOT_DATABASE_URL must be a PostgreSQL URL like "
                "postgresql://user@host:5432/summit (leave it empty for the embedded store)"
            )
        allow_private = (get("SUMMITBOT_FEEDS_ALLOW_PRIVATE") or "false").lower()
        if allow_private not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError("SUMMITBOT_FEEDS_ALLOW_PRIVATE must be true or false")
        feeds_proxy = get("SUMMITBOT_FEEDS_PROXY") or None
        if feeds_proxy and not feeds_proxy.startswith(("http://", "https://", "socks5://")):
            raise ConfigError(
                "SUMMITBOT_FEEDS_PROXY must be a proxy URL like http://proxy.internal:3128"
            )
        stale = get("SUMMITBOT_STALE_DAYS") or "90"
        if not stale.isdigit() or not 1 <= int(stale) <= 3650:
            raise ConfigError("SUMMITBOT_STALE_DAYS must be a number of days from 1 to 3650")
        language = (get("SUMMITBOT_LANG") or "en").lower()
        if language not in ("en", "ko"):
            raise ConfigError("SUMMITBOT_LANG must be en (English) or ko (Korean)")
        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        if bool(client_id) != bool(client_secret):
            raise ConfigError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Slack app settings → "
                "Basic Information → App Credentials): set both to install in many workspaces"
            )
        if client_id and not bot_token and not database_url:
            raise ConfigError(
                "SUMMITBOT_DATABASE_URL is not set: serving many workspaces (SLACK_CLIENT_ID "
                "and SLACK_CLIENT_SECRET without SLACK_BOT_TOKEN) needs PostgreSQL, e.g. "
                "postgresql://summit@db:5432/summit; run `summitbot db upgrade` on it first"
            )
        seed = (get("SUMMITBOT_SEED") or "summit").lower()
        if seed not in ("summit", "none"):
            raise ConfigError(
                "SUMMITBOT_SEED must be summit (a new workspace starts with the summit's facts) "
                "or none (an empty store)"
            )
        retention = get("SUMMITBOT_UNINSTALL_RETENTION_DAYS") or "30"
        if not retention.isdigit() or int(retention) > 3650:
            raise ConfigError(
                "SUMMITBOT_UNINSTALL_RETENTION_DAYS must be a number of days from 0 (delete at "
                "once) to 3650"
            )
        workspace_cache = get("SUMMITBOT_WORKSPACE_CACHE") or "200"
        if not workspace_cache.isdigit() or not 1 <= int(workspace_cache) <= 1_000_000:
            raise ConfigError(
                "SUMMITBOT_WORKSPACE_CACHE must be how many workspaces a replica holds in "
                "memory, a whole number from 1 (200 by default)"
            )
        log_format = (get("SUMMITBOT_LOG_FORMAT") or "text").lower()
        if log_format not in ("text", "json"):
            raise ConfigError("SUMMITBOT_LOG_FORMAT must be text or json")
        metrics = (get("SUMMITBOT_METRICS") or "false").lower()
        if metrics not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError("SUMMITBOT_METRICS must be true or false")
        metrics_port = get("SUMMITBOT_METRICS_PORT") or None
        if metrics_port is not None and not (
            metrics_port.isdigit() and 1 <= int(metrics_port) <= 65535
        ):
            raise ConfigError("SUMMITBOT_METRICS_PORT must be a port number (1-65535)")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return cls(
            bot_token=bot_token,
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=app_token,
            api_url=api_url,
            db_path=Path(get("SUMMITBOT_DB") or DEFAULT_DB),
            database_url=database_url,
            admins=admins,
            timezone=timezone,
            log_level=log_level,
            log_format=log_format,
            metrics=metrics in ("true", "1", "yes"),
            metrics_port=int(metrics_port) if metrics_port else None,
            workspace_admins=workspace_admins in ("true", "1", "yes"),
            digest_grace_hours=digest_grace_hours,
            review_channel=review_channel or None,
            feeds_allow_private=allow_private in ("true", "1", "yes"),
            feeds_proxy=feeds_proxy,
            stale_days=int(stale),
            language=language,
            client_id=client_id,
            client_secret=client_secret,
            seed=seed,
            uninstall_retention_days=int(retention),
            workspace_cache=int(workspace_cache),
        )

    @property
    def many_workspaces(self) -> bool:
        """Installed through Slack's OAuth in any number of workspaces: client id and secret
        set, and no bot token (which would make it one workspace's app)."""
        return bool(self.client_id and self.client_secret and not self.bot_token)

    @property
    def auto_mode(self) -> str:
        """What ``summitbot run`` starts: Socket Mode, HTTP, or the local console."""
        credentials = self.bot_token or self.many_workspaces
        if credentials and self.app_token:
            return "socket"
        if credentials and self.signing_secret:
            return "serve"
        return "shell"

    def require(self, *names: str) -> None:
        values = {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": self.app_token,
            "SLACK_CLIENT_ID": self.client_id,
        }
        for name in names:
            if not values[name]:
                raise ConfigError(f"{name} is not set; add it to .env (see .env.example)")

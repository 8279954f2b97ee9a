"""The app uninstalled, or its bot token revoked: nothing may be posted any more."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext

from handlers.common import services_of

logger = logging.getLogger(__name__)


def on_uninstalled(event: dict[str, Any], context: BoltContext) -> None:
    services_of(context).leave("the app was uninstalled from the workspace")


def on_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
    tokens = event.get("tokens") or {}
    if tokens.get("bot"):
        services_of(context).leave("the bot token was revoked")
    else:
        logger.info("user tokens revoked (the app holds none): %s", tokens)

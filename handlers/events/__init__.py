"""Events API subscriptions."""

from __future__ import annotations

from slack_bolt import App

from handlers.events import app_home, lifecycle, messages


def register(app: App) -> None:
    app.event("app_home_opened")(app_home.handle)
    app.event("app_mention")(messages.on_mention)
    app.event("message")(messages.on_message)
    app.event("app_uninstalled")(lifecycle.on_uninstalled)
    app.event("tokens_revoked")(lifecycle.on_tokens_revoked)

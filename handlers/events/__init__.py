"""Events API subscriptions."""

from __future__ import annotations

from slack_bolt import App

from handlers.events import app_home


def register(app: App) -> None:
    app.event("app_home_opened")(app_home.handle)

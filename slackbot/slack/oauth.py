"""Installing the app from an "Add to Slack" link: Bolt's OAuth flow (``GET /slack/install``
and ``GET /slack/oauth_redirect``) with the app's own pages.

Bolt does the protocol: the state cookie and its one-use state, ``oauth.v2.access``, storing
the installation. What is here is what a person sees: an install page with the button,
and after Slack sends them back, a page that says what happened and what to do next."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from slackbot.slack.ids import INSTALL_PATH

logger = logging.getLogger(__name__)


class SummitOAuthSettings(OAuthSettings):
    """Bolt's OAuth settings, with an authorizer that rotates tokens through ``client``
    (SLACK_API_URL and the app's retry handlers) like every other call. Bolt's makes its own
    token rotator with a client on Slack's default API URL, and takes no authorizer as an
    argument, so it is replaced as the settings are built."""

    def __init__(self, *, client: WebClient, logger: logging.Logger, **options: Any) -> None:
        super().__init__(logger=logger, **options)
        self.authorize = InstallationStoreAuthorize(
            logger=logger,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_rotation_expiration_minutes=self.token_rotation_expiration_minutes,
            installation_store=self.installation_store,
            bot_only=self.installation_store_bot_only,
            client=client,
        )


# What a failed install's reason (Bolt's, or Slack's ``error``) means to the person.
FAILURES = {
    "access_denied": "You cancelled the installation, so nothing was installed.",
    "invalid_browser": (
        "The installation was finished in another browser than the one it started in (or "
        "its cookie was blocked), so it could not be trusted."
    ),
    "invalid_state": "The installation link had expired or was already used.",
    "missing_code": "Slack did not send the installation's code back.",
    "invalid_code": "Slack did not accept the installation's code (it may have been used).",
    "storage_error": "The installation could not be saved on our side.",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans KR", sans-serif;
  max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1d1c1d; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }} .brand {{ color: #611f69; font-weight: 700; }}
code {{ background: #f4ede4; padding: 0 .25rem; border-radius: 3px; }}
.muted {{ color: #616061; font-size: .9rem; }}
</style></head>
<body><p class="brand">Summit Intel</p>
{body}
</body></html>
"""


def page(title: str, body: str, status: int = 200) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=_PAGE.format(title=html.escape(title), body=body),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def install_page_html(url: str) -> str:
    button = (
        f'<a href="{html.escape(url, quote=True)}"><img alt="Add to Slack" height="40" '
        'width="139" src="https://platform.slack-edge.com/img/add_to_slack.png" '
        'srcset="https://platform.slack-edge.com/img/add_to_slack.png 1x, '
        'https://platform.slack-edge.com/img/add_to_slack@2x.png 2x"></a>'
    )
    body = (
        "<h1>Add Summit Intel to your Slack workspace</h1>"
        "<p>Cited answers about Microsoft's AI partnerships with Samsung Electronics, "
        "SK Hynix, LG Electronics and SK Telecom around the MS CEO Summit 2024: "
        "<code>/whois samsung</code>, <code>/chips hbm</code>, scheduled digests in your "
        "channels, and a fact store your admins curate.</p>"
        f"<p>{button}</p>"
        '<p class="muted">Your workspace gets its own fact store: nothing it adds is seen '
        "by any other workspace. Uninstalling stops every digest at once.</p>"
    )
    return _PAGE.format(title="Add Summit Intel to Slack", body=body)


def success_page(installation: Installation) -> BoltResponse:
    where = installation.enterprise_name if installation.is_enterprise_install else None
    where = where or installation.team_name or "your workspace"
    team = installation.team_id or ""
    open_link = f"slack://open?team={html.escape(team, quote=True)}" if team else "slack://open"
    body = (
        f"<h1>Summit Intel is installed in {html.escape(where)}</h1>"
        "<p>Next, in any channel:</p><ul>"
        "<li><code>/whois samsung</code> for a company's card, <code>/summit help</code> "
        "for every command;</li>"
        "<li><code>/digest daily 09:00</code> for a morning digest in a channel;</li>"
        "<li>admins add and correct facts with <code>/summit add</code>.</li></ul>"
        f'<p><a href="{open_link}">Open Slack</a> and find Summit Intel under Apps for its '
        "Home tab.</p>"
    )
    return page("Summit Intel is installed", body)


def failure_page(reason: str, status: int) -> BoltResponse:
    said = FAILURES.get(reason, "The installation did not complete.")
    body = (
        "<h1>Summit Intel was not installed</h1>"
        f"<p>{html.escape(said)}</p>"
        f'<p>Start again from <a href="{INSTALL_PATH}">the install page</a>, in one '
        "browser, within ten minutes. If it fails again, ask your Slack admin whether apps "
        "may be installed in your workspace.</p>"
        f'<p class="muted">Reason: <code>{html.escape(reason)}</code></p>'
    )
    return page("Summit Intel was not installed", body, status)


class SummitOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with the app's install page."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page_html(url)


def callback_options(on_installed: Callable[[Installation], None]) -> CallbackOptions:
    """What follows Slack's redirect: the installation, already stored by Bolt, is handed
    to ``on_installed`` (the workspace's store made and seeded) before the success page."""

    def success(args: SuccessArgs) -> BoltResponse:
        try:
            on_installed(args.installation)
        except Exception:
            logger.exception("setting up the workspace of a new installation failed")
            return failure_page("storage_error", 500)
        return success_page(args.installation)

    def failure(args: FailureArgs) -> BoltResponse:
        logger.info("an installation failed: %s", args.reason)
        return failure_page(args.reason, args.suggested_status_code)

    return CallbackOptions(success=success, failure=failure)

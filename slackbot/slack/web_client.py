"""The Slack Web API client every part of the app uses: slack_sdk's WebClient with its
retry handlers (429s waited out, 5xx and dropped connections retried), counting each call
by method and result for /metrics (slackbot.core.measures.WEB_API_CALLS)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from slackbot.core.measures import WEB_API_CALLS, bounded


def _method_of(url: str) -> str:
    return bounded(url.rstrip("/").rsplit("/", 1)[-1].lower())


class CountedRateLimits(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits out Retry-After), counting each 429 it waits out: the
    calls it retries never reach ``MeasuredWebClient`` as errors."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        WEB_API_CALLS.labels(_method_of(request.url), "429").inc()
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


class MeasuredWebClient(WebClient):
    """A WebClient whose every call is counted: ok, Slack's error code, 429, unreachable."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        method = bounded(api_method.lower())
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            status = getattr(error.response, "status_code", 200)
            code = "429" if status == 429 else bounded(str(error.response.get("error")))
            WEB_API_CALLS.labels(method, code).inc()
            raise
        except Exception:
            WEB_API_CALLS.labels(method, "unreachable").inc()
            raise
        WEB_API_CALLS.labels(method, "ok").inc()
        return response


def retry_handlers() -> list[Any]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        CountedRateLimits(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]

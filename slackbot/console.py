"""A local console: slash commands typed at a prompt, answered by the same Bolt app as in Slack.

Each line becomes a signed slash-command request dispatched to the app, and the answer's
blocks are printed as text, so the console exercises exactly the path Slack does.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from slackbot.core.wording import N_
from slackbot.ingress import Ingress
from slackbot.slack.i18n import _

CONSOLE_USER = "U0CONSOLE"
CONSOLE_CHANNEL = "D0CONSOLE"
PROMPT = "summit> "
COMMANDS = ("/whois", "/who", "/chips", "/summit", "/digest")
GREETING = N_(
    "Summit Intel console: type a slash command such as /whois samsung, /chips hbm, "
    "/summit search hbm, or /summit help. 'quit' or Ctrl-D leaves."
)
EMOJI = {
    ":white_check_mark:": "✅",
    ":newspaper:": "📰",
    ":crystal_ball:": "🔮",
    ":x:": "❌",
    ":new:": "🆕",
    ":warning:": "⚠️",
    ":calendar:": "📅",
    ":link:": "🔗",
    ":point_right:": "👉",
    ":hourglass:": "⌛",
    ":no_entry_sign:": "🚫",
    ":double_vertical_bar:": "⏸️",
    ":scissors:": "✂️",
    ":thread:": "🧵",
}
_LINK = re.compile(r"<([^|<>]+)\|([^<>]+)>")
_ITALIC = re.compile(r"(?<!\w)_([^_\n]+)_(?!\w)")


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def mrkdwn_to_text(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    # Slack shows a mention as the person's name; the console knows only its own user.
    text = _MENTION.sub(lambda m: "you" if m.group(1) == CONSOLE_USER else f"@{m.group(1)}", text)
    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    text = _ITALIC.sub(r"\1", text).replace("*", "").replace("`", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_to_text(message: dict[str, Any]) -> str:
    """How a terminal shows an answer: each block's text, headers underlined."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += ["", title, "=" * len(title)]
        elif kind == "section":
            lines += ["", mrkdwn_to_text(block["text"]["text"])]
        elif kind == "context":
            lines += ["  " + mrkdwn_to_text(e.get("text", "")) for e in block["elements"]]
        elif kind == "divider":
            lines.append("-" * 40)
    if not lines:
        lines.append(mrkdwn_to_text(message.get("text", "")))
    return "\n".join(lines).strip("\n")


class ResponseURLs:
    """The console's response URLs: a loopback HTTP server that takes what the app posts to
    a command's response URL, as Slack does, so that an answer given after the
    acknowledgement (an admin's review desk, a slow answer) reaches the console by the same
    path as in Slack, with no console branch in the listeners."""

    def __init__(self) -> None:
        self._posted: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        self._numbers = itertools.count(1)
        sink = self

        class Taking(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with sink._arrived:
                    sink._posted.setdefault(self.path, payload)
                    sink._arrived.notify_all()

            def log_message(self, *_args: object) -> None:
                pass  # the console's screen is for answers

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Taking)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def new(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/response/{next(self._numbers)}"

    def wait(self, url: str, timeout: float) -> dict[str, Any] | None:
        """What the app posted to ``url`` first, waiting up to ``timeout`` seconds."""
        path = "/" + url.split("/", 3)[3]
        with self._arrived:
            self._arrived.wait_for(lambda: path in self._posted, timeout)
            return self._posted.pop(path, None)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# How long the console waits for an answer that comes after the acknowledgement.
LATER_ANSWER_SECONDS = 60.0


class Console:
    """Answers slash commands typed as text, through the Bolt app."""

    def __init__(self, ingress: Ingress, signing_secret: str, user_id: str = CONSOLE_USER) -> None:
        self._ingress = ingress
        self._secret = signing_secret
        self._user_id = user_id
        self._responses = ResponseURLs()

    def ask(self, line: str) -> str:
        line = line.strip()
        if not line:
            return ""
        if line.lower() in {"help", "?"}:
            line = "/summit help"
        command, _sep, text = line.partition(" ")
        if command.lower() not in COMMANDS:
            return _("Unknown command {command}; try {example}. Commands: {commands}").format(
                command=command, example="/whois samsung", commands=", ".join(COMMANDS)
            )
        response_url = self._responses.new()
        body = urlencode(
            {
                "token": "console",
                "team_id": "T0CONSOLE",
                "channel_id": CONSOLE_CHANNEL,
                "channel_name": "directmessage",
                "user_id": self._user_id,
                "user_name": "console",
                "command": command.lower(),
                "text": text,
                "response_url": response_url,
                "trigger_id": secrets.token_hex(8),
            }
        )
        stamp = str(int(time.time()))
        signature = SignatureVerifier(self._secret).generate_signature(timestamp=stamp, body=body)
        headers: dict[str, str | Sequence[str]] = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature or "",
        }
        # The path a signed request takes over HTTP.
        response = self._ingress.signed(body, headers)
        if response.status == 200 and not response.body:
            # Acknowledged now, answered after: through the response URL, as in Slack.
            later = self._responses.wait(response_url, LATER_ANSWER_SECONDS)
            if later is not None:
                return blocks_to_text(later)
        if response.status != 200 or not response.body:
            return _("(no answer: HTTP {status})").format(status=response.status)
        return blocks_to_text(json.loads(response.body))

    def run(self, lines: Iterable[str], out: TextIO, interactive: bool) -> None:
        if interactive:
            print(_(GREETING), file=out)
        for line in lines:
            if line.strip().lower() in {"quit", "exit"}:
                break
            answer = self.ask(line)
            if answer:
                print(answer, file=out)
                if not interactive:
                    print(file=out)
            if interactive:
                print(PROMPT, end="", file=out, flush=True)


def prompt_lines() -> Iterable[str]:
    """Lines typed at the prompt, until Ctrl-D."""
    print(PROMPT, end="", flush=True)
    while True:
        try:
            yield input()
        except EOFError:
            print()
            return


def run_console(ingress: Ingress, signing_secret: str) -> None:
    console = Console(ingress, signing_secret)
    if sys.stdin.isatty():
        console.run(prompt_lines(), sys.stdout, interactive=True)
    else:
        console.run(sys.stdin, sys.stdout, interactive=False)

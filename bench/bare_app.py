"""The floor: a Bolt app that acknowledges every command with a constant, on the same server."""

from __future__ import annotations

import logging
import os
import sys

from slack_bolt import Ack, App
from slack_sdk import WebClient

from slackbot.server import bound_url, make_server


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    def constant(ack: Ack) -> None:
        ack(response_type="ephemeral", text="ok")

    for command in ("/who", "/chips", "/summit"):
        app.command(command)(constant)
    server = make_server(app, "127.0.0.1", 0)
    print(f"serving Slack at {bound_url(server)}/slack/events", file=sys.stderr, flush=True)
    server.run()


if __name__ == "__main__":
    main()

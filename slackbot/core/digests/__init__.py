"""Scheduled digests (see service)."""

from slackbot.core.digests.service import *  # noqa: F403

"""Every message and view Summit Intel shows, built with slack_sdk.models within Block Kit
limits, split by audience: base (Message, escaping, clipping), answers, forms, history,
digests and the review queue. ``from slackbot.slack import render`` then
``render.who(...)`` reads the same for all of them."""

from slackbot.slack.render.answers import *  # noqa: F403
from slackbot.slack.render.base import *  # noqa: F403
from slackbot.slack.render.claims import *  # noqa: F403
from slackbot.slack.render.digests import *  # noqa: F403
from slackbot.slack.render.forms import *  # noqa: F403
from slackbot.slack.render.history import *  # noqa: F403
from slackbot.slack.render.review import *  # noqa: F403
from slackbot.slack.render.timeline import since as since_answer  # noqa: F401
from slackbot.slack.render.timeline import subject_unclear, timeline, usage  # noqa: F401

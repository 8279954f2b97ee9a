"""/summit feeds …, /summit queue and /summit review here: the admins' side of feeds and the
review queue. Acknowledged first (whether the person is an admin may take Slack a moment),
answered through the response URL."""

from __future__ import annotations

from handlers.common import announce_waiting
from slackbot.core.feeds import FeedUsageError
from slackbot.core.feeds.service import USAGE
from slackbot.slack import render
from slackbot.slack.delivery import REVIEW_CANNOT_POST, Asker, ensure_can_post
from slackbot.slack.services import Services

KINDS = frozenset({"feeds", "queue", "review"})
REVIEW_USAGE = (
    "Run `/summit review here` in the channel where new candidates should be posted for review."
)


def answer(services: Services, kind: str, rest: str, asker: Asker) -> render.Message:
    """The answer to one of these commands, for an admin or not."""
    assert services.feeds is not None and services.review is not None
    if not services.admins.is_admin(asker.user_id):
        return render.not_admin(services.admins.curators(), "manage feeds and the review queue")
    try:
        if kind == "queue":
            page = int(rest) if rest.strip().isdigit() else 1
            return render.queue(
                services.review.pending(page), services.intel.entities, services.timezone
            )
        if kind == "review":
            return review_here(services, rest, asker)
        return feeds(services, rest, asker)
    except FeedUsageError as error:
        return render.notice(str(error))


def review_here(services: Services, rest: str, asker: Asker) -> render.Message:
    assert services.review is not None
    if rest.strip().lower() != "here" or not asker.channel_id:
        where = services.review.review_channel()
        now = f"Candidates are posted in <#{where}>. " if where else "No review channel yet. "
        return render.Message(now + REVIEW_USAGE, [render.section(now + REVIEW_USAGE)], markup=True)
    if services.console:
        return render.notice(
            "The review channel is a Slack channel; in the console, `/summit queue` lists "
            "the candidates and `summitbot feeds poll` polls."
        )
    problem = ensure_can_post(asker.client, asker.channel_id, REVIEW_CANNOT_POST)
    if problem is not None:
        return render.notice(problem)
    services.review.set_review_channel(asker.channel_id, asker.user_id)
    announce_waiting(services)
    text = (
        f"New candidates for review will be posted in <#{asker.channel_id}>, "
        "with Approve, Edit and Reject buttons. `/summit queue` lists those waiting."
    )
    return render.Message(text, [render.section(text)], markup=True)


def feeds(services: Services, rest: str, asker: Asker) -> render.Message:
    service = services.feeds
    assert service is not None
    sub, _, argument = rest.strip().partition(" ")
    sub = sub.lower()
    argument = argument.strip()
    if sub in ("", "list"):
        return render.feed_list(service.feeds(), services.timezone)
    if sub == "add":
        feed = service.add(argument, asker.user_id)
        return render.feed_changed(
            feed,
            f"was added; it is polled every {feed.interval_minutes} "
            "min, the first time within a minute",
        )
    if sub in ("remove", "pause", "resume") and argument:
        action = {"remove": service.remove, "pause": service.pause, "resume": service.resume}
        feed = action[sub](argument.split()[0])
        return render.feed_changed(
            feed, {"remove": "was removed", "pause": "is paused", "resume": "is polled again"}[sub]
        )
    if sub == "poll":
        ids = [service.require(argument.split()[0]).id] if argument else None
        if services.console:
            return render.poll_done(service.poll(ids))
        service.poll_in_background(ids, lambda reports: asker.tell(render.poll_done(reports)))
        which = f"feed {ids[0]}" if ids else "every active feed"
        return render.notice(f"Polling {which} now; I'll tell you here what came of it.")
    return render.notice(USAGE)

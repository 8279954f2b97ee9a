"""/summit feeds …, /summit queue and /summit review here: the admins' side of feeds and the
review queue. Acknowledged first (whether the person is an admin may take Slack a moment),
answered through the response URL."""

from __future__ import annotations

from handlers.common import settle
from slackbot.core.curation import NotFound, Rejected
from slackbot.core.feeds import AlreadyDecided, FeedUsageError, NotAbout
from slackbot.core.words import Asked
from slackbot.slack import render
from slackbot.slack.delivery import Asker
from slackbot.slack.i18n import _, explained, translated
from slackbot.slack.services import Services
from storage.api import StoreWriteError


def not_about_usage() -> str:
    return _(
        "Say which candidate, who it is not about, and the words that misled: {example}."
    ).format(example="`/summit notabout C12 microsoft: MS Society`")


def decide_usage() -> str:
    return _("Say which candidate: {approve}, or {reject}; {queue} lists those waiting.").format(
        approve="`/summit approve C12`", reject="`/summit reject C12 why`", queue="`/summit queue`"
    )


def review_usage() -> str:
    return _(
        "Run {command} in the channel where new candidates should be posted for review."
    ).format(command="`/summit review here`")


def answer(services: Services, kind: Asked, rest: str, asker: Asker) -> render.Message:
    """The answer to one of these commands, for an admin or not."""
    if not services.admins.is_admin(asker.user_id):
        return render.not_admin(services.admins.curators(), "manage feeds and the review queue")
    try:
        if kind is Asked.QUEUE:
            page = int(rest) if rest.strip().isdigit() else 1
            return render.queue(
                services.review.pending(page), services.intel.entities, services.timezone
            )
        if kind is Asked.REVIEW:
            return review_here(services, rest, asker)
        if kind in (Asked.APPROVE, Asked.REJECT):
            return decide(services, kind, rest, asker)
        if kind is Asked.NOT_ABOUT:
            return not_about(services, rest, asker)
        return feeds(services, rest, asker)
    except FeedUsageError as error:
        return render.notice(explained(error))


def decide(services: Services, kind: Asked, rest: str, asker: Asker) -> render.Message:
    """``/summit approve C12`` or ``/summit reject C12 why``: the queue decided by typing,
    as the buttons decide it (the console has no buttons)."""
    candidate_id, _sep, reason = rest.strip().partition(" ")
    if not candidate_id:
        return render.notice(decide_usage())
    try:
        if kind is Asked.APPROVE:
            decided, fact = services.review.approve(candidate_id, asker.user_id)
        else:
            decided = services.review.reject(candidate_id, asker.user_id, reason.strip())
    except AlreadyDecided as done:
        return render.already_decided(done.candidate, services.timezone)
    except NotFound as missing:
        return render.notice(f"{explained(missing)} {decide_usage()}")
    except Rejected as rejected:
        problems = " ".join(translated(error) for error in rejected.errors.values())
        return render.notice(
            _("{id} is not approved as it stands:").format(id=decided_id(candidate_id))
            + f" {problems} "
            + _("Use its Edit button in Slack to fix it, or reject it.")
        )
    except StoreWriteError as error:
        return render.notice(render.not_saved(error))
    settle(services, decided, None, from_queue=False)
    if kind is Asked.APPROVE:
        return render.saved(fact, "approved")
    why = f": {decided.reason}" if decided.reason else ""
    rejected_one = _("Rejected {id}").format(id=decided.id)
    return render.notice(
        f"{rejected_one} (“{decided.title}”){why}. " + _("It stays out of answers.")
    )


def not_about(services: Services, rest: str, asker: Asker) -> render.Message:
    """``/summit notabout C12 microsoft: MS Society``: the words "MS Society" do not mean
    Microsoft, in this candidate or any item after it."""
    candidate_id, _sep, said = rest.strip().partition(" ")
    who, colon, phrase = said.partition(":")
    if not colon:
        who, _sep, phrase = said.strip().partition(" ")
    if not candidate_id or not who.strip() or not phrase.strip():
        return render.notice(not_about_usage())
    try:
        updated = services.review.not_about(candidate_id, who.strip(), phrase, asker.user_id)
    except AlreadyDecided as done:
        return render.already_decided(done.candidate, services.timezone)
    except (NotFound, NotAbout) as problem:
        return render.notice(explained(problem))
    except StoreWriteError as error:
        return render.notice(render.not_saved(error))
    said_of = _("Noted: “{phrase}” will not be read as {name} again.").format(
        phrase=phrase.strip(), name=who.strip()
    )
    if updated.state == "rejected":
        settle(services, updated, None, from_queue=False)
        rest_of = _("{id} named nobody else, so it is rejected.")
        return render.notice(f"{said_of} {rest_of.format(id=updated.id)}")
    stays = _("{id} stays in the queue for the rest.").format(id=updated.id)
    return render.notice(f"{said_of} {stays}")


def decided_id(typed: str) -> str:
    return typed.strip().upper()[:20]


def review_here(services: Services, rest: str, asker: Asker) -> render.Message:
    if rest.strip().lower() != "here" or not asker.channel_id:
        where = services.review.review_channel()
        now = (
            _("Candidates are posted in {channel}.").format(channel=f"<#{where}>")
            if where
            else _("No review channel yet.")
        )
        text = f"{now} {review_usage()}"
        return render.Message(text, [render.section(text)], markup=True)
    return services.surface.review_here(services, asker)


def feeds(services: Services, rest: str, asker: Asker) -> render.Message:
    service = services.feeds
    assert service is not None
    sub, _sep, argument = rest.strip().partition(" ")
    sub = sub.lower()
    argument = argument.strip()
    if sub in ("", "list"):
        return render.feed_list(service.feeds(), services.timezone)
    if sub == "add":
        return services.surface.feed_added(service.add(argument, asker.user_id))
    if sub in ("remove", "pause", "resume") and argument:
        action = {"remove": service.remove, "pause": service.pause, "resume": service.resume}
        feed = action[sub](argument.split()[0])
        done = {
            "remove": _("was removed"),
            "pause": _("is paused"),
            "resume": _("is polled again"),
        }
        return render.feed_changed(feed, done[sub])
    if sub == "poll":
        ids = [service.require(argument.split()[0]).id] if argument else None
        return services.surface.poll(services, ids, asker)
    return render.notice(render.feeds_usage())

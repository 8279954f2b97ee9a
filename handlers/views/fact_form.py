"""The "Add fact" / "Edit fact" modal: opening it, and saving what an admin submits."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.common import Asker, not_saved, refused_submission, services_of
from slackbot.core import curation
from slackbot.core.curation import EditConflict, FactDraft, NewEntity, NotFound, Rejected
from slackbot.slack import render
from slackbot.slack.services import Services
from storage import Fact, StoreWriteError

logger = logging.getLogger(__name__)

FORM_FIELDS = frozenset(
    {
        curation.ENTITIES,
        curation.STATEMENT,
        curation.STATUS,
        curation.KIND,
        curation.SOURCE_URL,
        curation.SOURCE_TITLE,
        curation.HAPPENED_ON,
        curation.TAGS,
        curation.NEW_ENTITY_NAME,
        curation.NEW_ENTITY_KIND,
        curation.NEW_ENTITY_ALIASES,
        curation.NEW_ENTITY_KOREAN,
    }
)


def open_fact_form(
    client: WebClient,
    services: Services,
    *,
    user_id: str,
    trigger_id: str,
    draft: FactDraft,
    fact: Fact | None = None,
    response_url: str | None = None,
    channel_id: str | None = None,
    note: str | None = None,
) -> render.Message | None:
    """Opens the form for an admin; returns what to tell the person when it cannot.
    ``note`` is shown at the top of the form (e.g. that a prefilled text was cut)."""
    if not services.admins.is_admin(user_id):
        what = "edit facts" if fact else "add facts"
        return render.not_admin(services.admins.curators(), what)
    # Where the confirmation goes once the form is saved (the response URL may expire).
    metadata = {
        "mode": "edit" if fact else "add",
        "fact_id": fact.id if fact else None,
        "revision": fact.revision if fact else None,
        "response_url": response_url,
        "channel_id": channel_id,
    }
    entities = services.intel.entities(draft.entity_ids)
    view = render.fact_form(
        draft,
        entities,
        metadata,
        title=f"Edit {fact.id}" if fact else "Add fact",
        today=services.today(),
        note=note,
    )
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, SlackClientError) as error:
        logger.warning("views.open failed: %s", error)
        return render.notice(
            "Slack did not open the form in time; run the command again "
            "(the form has to open within 3 seconds)."
        )
    return None


def _state_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("multi_external_select", "multi_static_select"):
        return [option["value"] for option in element.get("selected_options") or []]
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return option["value"] if option else None
    if kind == "datepicker":
        return element.get("selected_date")
    return element.get("value")


def read_state(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted values by field name (block id)."""
    values: dict[str, Any] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for element in actions.values():
            values[block_id] = _state_value(element)
    return values


def draft_from(values: dict[str, Any], known_ids: Callable[[], Iterable[str]]) -> FactDraft:
    """The draft a submitted form holds; ``known_ids`` resolves long entity ids that
    travelled as digests (see ``render.entity_option_value``)."""

    def text(name: str) -> str:
        value = values.get(name)
        return value if isinstance(value, str) else ""

    new_name = text(curation.NEW_ENTITY_NAME).strip()
    new_entity = None
    if new_name:
        new_entity = NewEntity(
            name=new_name,
            kind=text(curation.NEW_ENTITY_KIND) or "company",
            aliases=curation.parse_list(text(curation.NEW_ENTITY_ALIASES)),
            korean_name=text(curation.NEW_ENTITY_KOREAN).strip() or None,
        )
    entity_ids = [
        render.entity_from_option(str(value), known_ids()) or str(value)
        if str(value).startswith("~")
        else str(value)
        for value in values.get(curation.ENTITIES) or []
    ]
    return FactDraft(
        statement=text(curation.STATEMENT),
        kind=text(curation.KIND),
        status=text(curation.STATUS),
        entity_ids=tuple(str(entity_id) for entity_id in entity_ids),
        new_entity=new_entity,
        source_url=text(curation.SOURCE_URL),
        source_title=text(curation.SOURCE_TITLE),
        happened_on=text(curation.HAPPENED_ON) or None,
        tags=curation.parse_tags(text(curation.TAGS)),
    )


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def field_errors(errors: dict[str, str], fields: frozenset[str]) -> dict[str, str]:
    """Errors keyed by the form's blocks; anything else is shown on the statement."""
    placed: dict[str, str] = {}
    for name, error in errors.items():
        block = name if name in fields else curation.STATEMENT
        placed[block] = f"{placed[block]} {error}" if block in placed else error
    return placed


def submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    user_id = body["user"]["id"]
    if refused_submission(ack, services, user_id, curation.STATEMENT, "save facts"):
        return
    metadata = metadata_of(view)
    draft = draft_from(
        read_state(view), lambda: (entity.id for entity in services.intel.entities())
    )
    try:
        if metadata.get("mode") == "edit":
            fact = services.curator.edit(
                str(metadata.get("fact_id")), draft, user_id, int(metadata.get("revision") or 0)
            )
            action = "saved"
        else:
            fact = services.curator.add(draft, user_id)
            action = "added"
    except Rejected as rejected:
        ack(response_action="errors", errors=field_errors(rejected.errors, FORM_FIELDS))
        return
    except EditConflict as conflict:
        ack(
            response_action="errors",
            errors={
                curation.STATEMENT: f"{conflict}. Your changes are not saved: close this form "
                f"and run /summit edit {conflict.current.id} to start from the latest."
            },
        )
        return
    except NotFound as missing:
        ack(response_action="errors", errors={curation.STATEMENT: str(missing)})
        return
    except StoreWriteError as error:
        # Slack must not see an empty 500: the admin reads why, on the form, and can retry.
        logger.error("a fact was not saved: %s", error)
        ack(response_action="errors", errors={curation.STATEMENT: not_saved(error)})
        return
    # Stored durably above; only now does the modal close.
    ack()
    Asker(client, user_id, metadata.get("channel_id"), metadata.get("response_url")).tell(
        render.saved(fact, action)
    )

"""The curation forms (Add / Edit fact, Retract): building them, reading what a person
submitted back as a draft, the type-ahead's options, and what an admin is shown once a fact
is saved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    DividerBlock,
    ExternalDataMultiSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from slackbot.core import curation
from slackbot.core.curation import EditConflict, FactDraft, NewEntity
from slackbot.slack.i18n import _, translated
from slackbot.slack.ids import (
    FACT_FORM,
    FACT_FORM_FIELDS,
    RETRACT_FORM,
    RETRACT_REASON,
)
from slackbot.slack.render.base import (
    Message,
    clip,
    context,
    escape,
    fact_line,
    flat,
    notice,
    section,
)
from storage.api import Entity, Fact, first_day


def kind_labels() -> dict[str, str]:
    """A fact's kinds as the form lists them, in the reader's language."""
    return {
        "attendance": _("Attendance"),
        "agenda": _("Agenda"),
        "hardware": _("Hardware"),
        "product": _("Product"),
        "investment": _("Investment"),
        "partnership": _("Partnership"),
        "context": _("Context"),
    }


def status_labels() -> dict[str, str]:
    return {
        "confirmed": _("Confirmed: official or settled"),
        "reported": _("Reported: stated as fact by a source"),
        "expected": _("Expected: may or could happen"),
    }


def new_kind_labels() -> dict[str, str]:
    return {"company": _("Company"), "person": _("Person"), "product": _("Product")}


MAX_OPTION_TEXT = 75


# Ten tags of thirty characters, with their separators.
MAX_TAGS_INPUT = 400


MAX_OPTION_VALUE = 150  # Slack refuses a whole options answer with one longer value


_HASHED_VALUE = "~"


def entity_option_value(entity_id: str) -> str:
    """An entity's id as an option value. A store written before names were capped may hold
    longer ids: those travel as a digest of the id, found again by ``entity_from_option``."""
    if len(entity_id) <= MAX_OPTION_VALUE and not entity_id.startswith(_HASHED_VALUE):
        return entity_id
    return _HASHED_VALUE + hashlib.blake2b(entity_id.encode(), digest_size=16).hexdigest()


def entity_from_option(value: str, entity_ids: Iterable[str]) -> str | None:
    """The entity id an option value stands for, among ``entity_ids``."""
    if not value.startswith(_HASHED_VALUE):
        return value
    return next((eid for eid in entity_ids if entity_option_value(eid) == value), None)


def entity_option(entity: Entity) -> Option:
    label = entity.name + (f" ({entity.korean_name})" if entity.korean_name else "")
    return Option(
        value=entity_option_value(entity.id),
        text=clip(f"{label} · {entity.kind}", MAX_OPTION_TEXT),
    )


def entity_options(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """The type-ahead's answer to a block_suggestion request (at most 100 options)."""
    return [entity_option(entity).to_dict() for entity in entities[:100]]


def text_input(
    field: str,
    label: str,
    *,
    initial: str = "",
    optional: bool = True,
    multiline: bool = False,
    max_length: int | None = None,
    hint: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    # Slack refuses a form whose initial value is longer than its input allows.
    if max_length is not None and len(initial) > max_length:
        initial = initial[:max_length]
    return InputBlock(
        block_id=field,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=field,
            initial_value=initial or None,
            multiline=multiline or None,
            max_length=max_length,
            placeholder=placeholder,
        ),
    )


def _choice(labels: dict[str, str], chosen: str | None) -> Option | None:
    return Option(value=chosen, text=labels[chosen]) if chosen in labels else None


def fact_form(
    draft: FactDraft,
    entities: Sequence[Entity],
    metadata: dict[str, Any],
    *,
    title: str = "",
    today: str,
    note: str | None = None,
) -> View:
    """The "Add fact" / "Edit fact" modal, prefilled from ``draft``; ``note`` leads it."""
    kind_names, status_names = kind_labels(), status_labels()
    kinds = [Option(value=kind, text=label) for kind, label in kind_names.items()]
    statuses = [Option(value=status, text=label) for status, label in status_names.items()]
    new_kinds = [Option(value=kind, text=label) for kind, label in new_kind_labels().items()]
    blocks: list[Block] = [
        InputBlock(
            block_id=curation.ENTITIES,
            label=_("Companies, people and products involved"),
            optional=True,
            hint=_("Type to search, in English or Korean. Someone new? Name them below."),
            element=ExternalDataMultiSelectElement(
                action_id=curation.ENTITIES,
                placeholder="Samsung, 곽노정, HBM…",
                min_query_length=0,
                initial_options=[entity_option(entity) for entity in entities] or None,
            ),
        ),
        text_input(
            curation.STATEMENT,
            _("Statement"),
            initial=draft.statement,
            optional=False,
            multiline=True,
            max_length=curation.MAX_STATEMENT,
            placeholder=_("What happened or was said, in one or two sentences"),
        ),
        InputBlock(
            block_id=curation.STATUS,
            label=_("Status"),
            element=RadioButtonsElement(
                action_id=curation.STATUS,
                options=statuses,
                initial_option=_choice(status_names, draft.status),
            ),
        ),
        InputBlock(
            block_id=curation.KIND,
            label=_("Kind"),
            element=StaticSelectElement(
                action_id=curation.KIND,
                options=kinds,
                initial_option=_choice(kind_names, draft.kind),
            ),
        ),
        text_input(
            curation.SOURCE_URL,
            _("Source link"),
            initial=draft.source_url,
            hint=_("http:// or https:// only"),
            placeholder="https://…",
            max_length=curation.MAX_SOURCE_URL,
        ),
        text_input(
            curation.SOURCE_TITLE,
            _("Source title"),
            initial=draft.source_title,
            max_length=curation.MAX_SOURCE_TITLE,
        ),
        InputBlock(
            block_id=curation.REPORTED_ON,
            label=_("When the source reported it"),
            hint=_("The day it was published"),
            element=DatePickerElement(
                action_id=curation.REPORTED_ON,
                initial_date=first_day(draft.reported_on) if draft.reported_on else today,
            ),
        ),
        InputBlock(
            block_id=curation.HAPPENED_ON,
            label=_("When it happened"),
            optional=True,
            hint=_("If the source says; leave it empty when it does not"),
            element=DatePickerElement(
                action_id=curation.HAPPENED_ON, initial_date=draft.happened_on or None
            ),
        ),
        text_input(
            curation.TAGS,
            _("Tags"),
            initial=", ".join(draft.tags),
            max_length=MAX_TAGS_INPUT,
            hint=_("Comma-separated, e.g. {example}").format(example="`hbm, investment`"),
        ),
        InputBlock(
            block_id=curation.DIFFERENT_FACT,
            label=_("Reads like a stored fact?"),
            optional=True,
            hint=_("Tick it when the form says this reads like a stored fact but it is not one"),
            element=CheckboxesElement(
                action_id=curation.DIFFERENT_FACT,
                options=[Option(value="yes", text=_("It is a different fact"))],
            ),
        ),
        DividerBlock(),
        section(
            f"*{_('Someone or something new?')}* "
            + _("Leave these empty when it is in the list above.")
        ),
        text_input(curation.NEW_ENTITY_NAME, _("New company, person or product")),
        InputBlock(
            block_id=curation.NEW_ENTITY_KIND,
            label=_("It is a"),
            optional=True,
            element=StaticSelectElement(
                action_id=curation.NEW_ENTITY_KIND,
                options=new_kinds,
                placeholder=_("Company"),
            ),
        ),
        text_input(curation.NEW_ENTITY_ALIASES, _("Its other names"), hint=_("Comma-separated")),
        text_input(
            curation.NEW_ENTITY_KOREAN,
            _("Its Korean name"),
            placeholder=_("e.g. {example}").format(example="삼성전자"),
        ),
    ]
    if note:
        blocks.insert(0, context(f":scissors: {escape(note)}"))
    return modal(FACT_FORM, title or _("Add fact"), _("Save"), metadata, blocks)


def modal(
    callback_id: str, title: str, submit: str, metadata: dict[str, Any], blocks: list[Block]
) -> View:
    """A form: what its submission is routed by, and where its answer goes (metadata)."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close=_("Cancel"),
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


def retract_form(fact: Fact, metadata: dict[str, Any]) -> View:
    return modal(
        RETRACT_FORM,
        _("Retract {id}").format(id=fact.id),
        _("Retract"),
        metadata,
        [
            section(fact_line(fact)),
            text_input(
                RETRACT_REASON,
                _("Why is it retracted?"),
                multiline=True,
                max_length=curation.MAX_STATEMENT,
                placeholder=_("e.g. {example}").format(example=_("denied by SK Hynix on 20 May")),
            ),
            context(_("The fact is kept with its history; answers leave it out with a note.")),
        ],
    )


def no_fact_to_edit(typed: str) -> Message:
    say = _("Say which fact to edit, e.g. {example}.").format(example="`/summit edit F12`")
    if not typed:
        return notice(say)
    return notice(_("There is no fact {id}.").format(id=repr(flat(typed))) + " " + say)


def edit_conflict(conflict: EditConflict) -> str:
    """On the form, when someone else saved the fact since it was opened."""
    latest = conflict.latest
    changed = (
        _("{id} was changed by {person} at {when} since you opened it.").format(
            id=conflict.current.id, person=latest.by, when=latest.at
        )
        if latest is not None
        else _("{id} was changed since you opened it.").format(id=conflict.current.id)
    )
    return (
        changed
        + " "
        + _(
            "Your changes are not saved: close this form and run {command} to start from the "
            "latest."
        ).format(command=f"/summit edit {conflict.current.id}")
    )


def saved(fact: Fact, action: str) -> Message:
    """The admin's confirmation: the fact card and its id."""
    done = saved_action(action).format(id=f"`{fact.id}`")
    blocks: list[Block] = [section(f"*{done}*"), section(fact_line(fact))]
    if fact.retraction_reason:
        blocks.append(context(f"{_('Reason')}: {escape(fact.retraction_reason)}"))
    shows = _("{command} shows its changes").format(command=f"`/summit history {fact.id}`")
    blocks.append(context(f"{shows} · `/summit edit {fact.id}`"))
    plain = saved_action(action).format(id=fact.id)
    return Message(f"{plain}: {fact.statement}", blocks)


def saved_action(action: str) -> str:
    """ "Added {id}", "Retracted {id}"…: what was done to a fact, as a template."""
    return {
        "added": _("Added {id}"),
        "edited": _("Edited {id}"),
        "retracted": _("Retracted {id}"),
        "restored": _("Restored {id}"),
        "approved": _("Approved {id}"),
        "saved": _("Saved {id}"),
    }.get(action, action.capitalize() + " {id}")


# -- reading a submitted form ------------------------------------------------------------------


def _state_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("multi_external_select", "multi_static_select", "checkboxes"):
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
        entity_from_option(str(value), known_ids()) or str(value)
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
        reported_on=text(curation.REPORTED_ON) or None,
        different_fact=bool(values.get(curation.DIFFERENT_FACT)),
    )


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def field_errors(
    errors: dict[str, str], fields: frozenset[str] = FACT_FORM_FIELDS
) -> dict[str, str]:
    """Errors keyed by the form's blocks; anything else is shown on the statement."""
    placed: dict[str, str] = {}
    for name, said in errors.items():
        error = translated(said)
        block = name if name in fields else curation.STATEMENT
        placed[block] = f"{placed[block]} {error}" if block in placed else error
    return placed

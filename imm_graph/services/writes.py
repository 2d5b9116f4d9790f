"""Every write to the core goes through here: validate, check references, write, audit, emit.

Callers own the transaction (``async with db.transaction(actor=…) as session``): a write either
lands whole, with its links, its audit row and its domain event, or on any error not at all.
The audit row names the transaction's actor, so a change from GraphQL, the command line, the
seeder or a plug-in is recorded the same way; the event says whether the record was created or
updated and which fields changed (names only).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph.bulk_insert import insert_rows
from imm_graph.errors import FieldError, ValidationError
from imm_graph.ids import encode_id
from imm_graph.scoring import score
from imm_graph.security.audit import actor_of
from imm_graph.security.audit import record as audit
from imm_graph.security.audit import record_many as audit_many
from imm_graph.security.crypto import blind_index
from imm_graph.services import inputs, known_rows
from imm_graph.services.errors import camel, from_integrity, from_pydantic
from imm_graph.sql_lists import one_of


@dataclass(frozen=True)
class Link:
    """A many-to-many set given as a list of ids or codes in the input."""

    table: sa.Table
    own_column: str
    other_column: str
    target: Any  # the model whose key the values must match (None: free values)


@dataclass(frozen=True)
class EntitySpec:
    model: type[Any]
    input: type[inputs.Input]
    type_name: str  # the GraphQL type: audit rows and error messages name it
    references: Mapping[str, Any] = field(default_factory=dict)  # input field -> model
    unique: tuple[str, ...] = ()
    links: Mapping[str, Link] = field(default_factory=dict)
    derive: Callable[[inputs.Input], dict[str, Any]] | None = None
    event: str | None = None
    stamp_actor: str | None = None  # a column that records who made the row


def _scored(data: inputs.Input) -> dict[str, Any]:
    assert isinstance(data, inputs.AssessmentInput)
    result = score(data.measure, list(data.items))
    return {"items": list(data.items), "raw_score": result.raw, "score": result.score}


def _participant_keys(data: inputs.Input) -> dict[str, Any]:
    """The NHS number's keyed index, and the postcode's district kept outside the encryption."""
    assert isinstance(data, inputs.ParticipantInput)
    out: dict[str, Any] = {
        "nhs_number_index": blind_index(data.nhs_number) if data.nhs_number else None
    }
    if data.postcode:
        out["postcode_district"] = data.postcode.split(" ", 1)[0]
    return out


SPECS: dict[str, EntitySpec] = {
    "organisation": EntitySpec(
        m.Organisation, inputs.OrganisationInput, "Organisation", unique=("ods_code",),
        event="organisation.saved",
    ),
    "programme": EntitySpec(
        m.Programme, inputs.ProgrammeInput, "Programme", unique=("code",),
        event="programme.saved",
    ),
    "project": EntitySpec(
        m.Project,
        inputs.ProjectInput,
        "Project",
        references={"programme_id": m.Programme, "lead_organisation_id": m.Organisation},
        unique=("code",),
        links={
            "partner_ids": Link(
                m.project_partners, "project_id", "organisation_id", m.Organisation
            ),
            "cohort_codes": Link(m.project_cohorts, "project_id", "cohort_code", m.ClinicalCohort),
        },
        event="project.saved",
    ),
    "hub": EntitySpec(
        m.Hub,
        inputs.HubInput,
        "Hub",
        references={"host_organisation_id": m.Organisation, "programme_id": m.Programme},
        unique=("code",),
        links={
            "partner_ids": Link(m.hub_partners, "hub_id", "organisation_id", m.Organisation),
            "cohort_codes": Link(m.hub_cohorts, "hub_id", "cohort_code", m.ClinicalCohort),
            "catchment": Link(m.hub_catchments, "hub_id", "postcode_district", None),
        },
        event="hub.saved",
    ),
    "session": EntitySpec(
        m.Session,
        inputs.SessionInput,
        "Session",
        references={"hub_id": m.Hub, "project_id": m.Project},
        event="session.recorded",
    ),
    "stakeholder": EntitySpec(
        m.Stakeholder,
        inputs.StakeholderInput,
        "Stakeholder",
        references={"kind_code": m.StakeholderKind, "organisation_id": m.Organisation},
        event="stakeholder.saved",
    ),
    "participant": EntitySpec(
        m.Participant,
        inputs.ParticipantInput,
        "Participant",
        unique=("ref",),
        links={
            "cohort_codes": Link(
                m.participant_cohorts, "participant_id", "cohort_code", m.ClinicalCohort
            ),
        },
        derive=_participant_keys,
        event="participant.saved",
    ),
    "enrolment": EntitySpec(
        m.Enrolment,
        inputs.EnrolmentInput,
        "Enrolment",
        references={"participant_id": m.Participant, "hub_id": m.Hub, "project_id": m.Project},
        event="enrolment.saved",
    ),
    "assessment": EntitySpec(
        m.OutcomeAssessment,
        inputs.AssessmentInput,
        "OutcomeAssessment",
        references={"participant_id": m.Participant, "hub_id": m.Hub, "project_id": m.Project},
        derive=_scored,
        event="assessment.recorded",
    ),
    "training": EntitySpec(
        m.TrainingDelivery,
        inputs.TrainingInput,
        "TrainingDelivery",
        references={"programme_id": m.Programme, "organisation_id": m.Organisation},
        event="training.recorded",
    ),
    "consent": EntitySpec(
        m.Consent,
        inputs.ConsentInput,
        "Consent",
        references={"participant_id": m.Participant, "stakeholder_id": m.Stakeholder},
        event="consent.saved",
        stamp_actor="recorded_by",
    ),
}


def parse(kind: str, raw: Mapping[str, Any]) -> inputs.Input:
    try:
        return SPECS[kind].input.model_validate(dict(raw))
    except pydantic.ValidationError as exc:
        raise from_pydantic(exc) from None


async def create(session: AsyncSession, kind: str, raw: Mapping[str, Any]) -> Any:
    spec = SPECS[kind]
    data = parse(kind, raw)
    return await _save(session, kind, spec, data, row=None, before={})


async def create_many(
    session: AsyncSession, kind: str, raws: Sequence[Mapping[str, Any]], *,
    savepoint: bool = True,
) -> list[int]:
    """`create` for many records of one kind, in a fixed number of statements whatever their
    number: the same validation, references, uniqueness, links, audit rows and events (the
    event sink's ``created_many``), without an ORM object per record. Returns the new ids in
    order. All or nothing: the first refused record raises its `ValidationError` and none of
    them is written; the caller's transaction stays usable, as with `create`, unless
    ``savepoint=False``: a caller that rolls back on any error (a group-commit batch) saves
    the two statements a savepoint costs."""
    spec = SPECS[kind]
    if not raws:
        return []
    datas = [parse(kind, raw) for raw in raws]
    await _check_references(session, spec, *datas)
    await _check_unique_many(session, spec, datas)
    actor = actor_of(session)
    rows = []
    for data in datas:
        values = data.model_dump(exclude=set(spec.links))
        if spec.derive:
            values.update(spec.derive(data))
        if spec.stamp_actor:
            values[spec.stamp_actor] = actor.label
        rows.append(values)
    try:
        async with session.begin_nested() if savepoint else contextlib.nullcontext():
            ids = await _insert_many(session, spec, rows, datas)
    except IntegrityError as exc:
        raise from_integrity(exc, spec.type_name) from None
    known_rows.remember(session, spec.model, ids)
    await audit_many(session, action=f"{kind}.create", object_type=spec.type_name,
                     object_ids=ids)
    sink = session.info.get("event_sink")
    if spec.event and sink is not None:
        for row, id_ in zip(rows, ids, strict=True):
            row["id"] = id_
        # The sink's bulk form: the EventDispatcher records them in one statement.
        await sink.created_many(session, spec.event, spec.model, rows)
    return ids


async def _insert_many(
    session: AsyncSession, spec: EntitySpec, rows: Sequence[Mapping[str, Any]],
    datas: Sequence[inputs.Input],
) -> list[int]:
    # Core, not the ORM's bulk insert: a third of the CPU for the same rows.
    ids = await insert_rows(session, spec.model.__table__, rows, returning_ids=True)
    for name, link in spec.links.items():
        linked = [{link.own_column: id_, link.other_column: v}
                  for id_, data in zip(ids, datas, strict=True)
                  for v in dict.fromkeys(getattr(data, name) or ())]
        await insert_rows(session, link.table, linked)
    return ids


async def update(session: AsyncSession, kind: str, id: int, patch: Mapping[str, Any]) -> Any:
    """Apply a partial change, then validate the whole resulting record, not just the patch."""
    spec = SPECS[kind]
    row = await session.get(spec.model, id)
    if row is None:
        raise ValidationError.single(
            "id", "not_found", f"no {spec.type_name} has the ID {encode_id(spec.type_name, id)}"
        )
    current = {name: getattr(row, name) for name in spec.input.model_fields if hasattr(row, name)}
    for name, link in spec.links.items():
        current[name] = tuple(
            await session.scalars(
                sa.select(link.table.c[link.other_column]).where(
                    link.table.c[link.own_column] == id
                )
            )
        )
    data = parse(kind, {**current, **patch})
    return await _save(session, kind, spec, data, row=row, before=current)


def _changed(data: inputs.Input, before: Mapping[str, Any], links: Mapping[str, Link]) -> list[str]:
    """The input fields whose values an update changed (links compared as sets)."""
    changed = []
    for name in type(data).model_fields:
        new, old = getattr(data, name), before.get(name)
        if name in links:
            new, old = set(new or ()), set(old or ())
        if new != old:
            changed.append(camel(name))
    return changed


async def _save(
    session: AsyncSession,
    kind: str,
    spec: EntitySpec,
    data: inputs.Input,
    row: Any | None,
    before: Mapping[str, Any],
) -> Any:
    await _check_references(session, spec, data)
    await _check_unique(session, spec, data, row)
    creating = row is None
    changed = [] if creating else _changed(data, before, spec.links)
    values = data.model_dump(exclude=set(spec.links))
    if spec.derive:
        values.update(spec.derive(data))
    actor = actor_of(session)
    if spec.stamp_actor and creating:
        values[spec.stamp_actor] = actor.label
    try:
        # A savepoint: a refused row rolls back alone, leaving the caller's transaction usable.
        async with session.begin_nested():
            if row is None:
                row = spec.model(**values)
                session.add(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            await session.flush()
            for name, link in spec.links.items():
                await _replace_links(session, link, row.id, getattr(data, name),
                                     existing=not creating)
    except IntegrityError as exc:
        raise from_integrity(exc, spec.type_name) from None
    await audit(
        session, action=f"{kind}.{'create' if creating else 'update'}",
        object_type=spec.type_name, object_ids=[row.id], fields=changed,
    )
    sink = session.info.get("event_sink")
    if spec.event and sink is not None:
        # Inside the writer's transaction: the event lands with the change or not at all.
        await sink(session, spec.event, row, "created" if creating else "updated", changed)
    return row


async def _check_references(
    session: AsyncSession, spec: EntitySpec, *datas: inputs.Input
) -> None:
    """Every id or code the records name exists: one look-up per kind of reference, for the
    values not already known to exist (`known_rows`)."""
    errors: list[FieldError] = []
    for name, target in spec.references.items():
        values = {v for v in (getattr(d, name) for d in datas) if v is not None}
        errors.extend(_missing(name, target, v)
                      for v in await known_rows.missing(session, target, values))
    for name, link in spec.links.items():
        wanted = {v for d in datas for v in getattr(d, name)}
        if not wanted or link.target is None:
            continue
        errors.extend(_missing(name, link.target, v)
                      for v in await known_rows.missing(session, link.target, wanted))
    if errors:
        raise ValidationError(errors)


def _missing(name: str, target: Any, value: Any) -> FieldError:
    """Name the field as the client sent it and the record as the client knows it (its ID)."""
    type_name = target.__name__
    field_name = camel(name.removesuffix("_id").removesuffix("_code").removesuffix("_ids"))
    if isinstance(value, int):
        message = f"{field_name}: no {type_name} has the ID {encode_id(type_name, value)}"
    else:
        message = f"{field_name}: no {type_name} has the code {value!r}"
    return FieldError("not_found", camel(name), message)


async def _check_unique(
    session: AsyncSession, spec: EntitySpec, data: inputs.Input, row: Any | None
) -> None:
    for name in spec.unique:
        value = getattr(data, name)
        if value is None:
            continue
        column = getattr(spec.model, name)
        query = sa.select(spec.model.id).where(column == value)
        if row is not None:
            query = query.where(spec.model.id != row.id)
        other = await session.scalar(query)
        if other is not None:
            raise ValidationError.single(
                camel(name), "duplicate",
                f"{camel(name)} {value!r} is already used by {spec.type_name} "
                f"{encode_id(spec.type_name, other)}",
            )


async def _check_unique_many(
    session: AsyncSession, spec: EntitySpec, datas: Sequence[inputs.Input]
) -> None:
    """`_check_unique` for new records: one look-up per unique field, and no two of the
    records may share a value either."""
    for name in spec.unique:
        values = [v for v in (getattr(d, name) for d in datas) if v is not None]
        clash = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if clash is None and values:
            column = getattr(spec.model, name)
            clash = await session.scalar(
                sa.select(column).where(one_of(session, column, values)).limit(1))
        if clash is not None:
            raise ValidationError.single(
                camel(name), "duplicate",
                f"{camel(name)} {clash!r} is already used by another {spec.type_name}",
            )


async def _replace_links(
    session: AsyncSession, link: Link, own_id: int, values: Any, *, existing: bool = True
) -> None:
    """Set a record's links; a record created just now has none to delete (one statement
    saved per create)."""
    if existing:
        await session.execute(
            sa.delete(link.table).where(link.table.c[link.own_column] == own_id))
    if values:
        await session.execute(
            sa.insert(link.table),
            [{link.own_column: own_id, link.other_column: v} for v in dict.fromkeys(values)],
        )

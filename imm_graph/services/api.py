"""The typed service API plug-ins call (``from imm_graph.plugin_api import services``).

Thin, typed functions over the core's validated writes (`writes`) and reads, named for what a
partner integration does: find or create the person a referral is about, enrol them in a hub,
record who came to a session, record consent, compute impact. Each takes the caller's session
(writes land in the caller's transaction, audited with its actor) and raises
`imm_graph.errors.ValidationError` naming the field and rule when input is wrong.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph.errors import FieldError, ValidationError
from imm_graph.ids import encode_id
from imm_graph.reference import AttendanceStatus
from imm_graph.security.audit import record as audit
from imm_graph.security.crypto import blind_index
from imm_graph.services import known_rows, writes
from imm_graph.services.impact import ALL_PARTS, Impact, ImpactFilter
from imm_graph.services.impact import impact as compute_impact
from imm_graph.sql_lists import one_of
from imm_graph.validators import validate_nhs_number

__all__ = [
    "Impact",
    "ImpactFilter",
    "create_participant",
    "create_participants",
    "enrol",
    "find_participant_by_nhs_number",
    "find_participants_by_nhs_numbers",
    "first_attended",
    "hubs_serving",
    "impact",
    "record_attendance",
    "record_consent",
    "record_consents",
    "session_fetch",
    "unknown_cohorts",
    "update_participant",
    "withdraw_consent",
]


def _new_ref() -> str:
    return "R-" + secrets.token_hex(4).upper()


async def create_participant(session: AsyncSession, **fields: Any) -> m.Participant:
    """A participant; ``ref`` is generated when not given. Identifiable fields are encrypted,
    the NHS number indexed by a keyed hash, the postcode's district kept apart."""
    fields.setdefault("ref", _new_ref())
    return await writes.create(session, "participant", fields)


async def create_participants(
    session: AsyncSession, people: Sequence[Mapping[str, Any]], *, savepoint: bool = True
) -> list[int]:
    """`create_participant` for many (a burst of referrals): the same rules, audit rows and
    events in a fixed number of statements; all or nothing (``savepoint``: see
    `writes.create_many`). Returns their ids in order."""
    return await writes.create_many(
        session, "participant", [{"ref": _new_ref(), **fields} for fields in people],
        savepoint=savepoint)


async def unknown_cohorts(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    """The codes that name no IMM clinical cohort: a look-up only for codes not found in the
    last minute (the vocabulary changes a few times a year; a new code is accepted at once)."""
    return await known_rows.missing(session, m.ClinicalCohort, codes)


async def update_participant(
    session: AsyncSession, participant_id: int, **changes: Any
) -> m.Participant:
    return await writes.update(session, "participant", participant_id, changes)


async def find_participant_by_nhs_number(session: AsyncSession, nhs_number: str) -> int | None:
    """The participant recorded with this NHS number, matched by its keyed index: no row is
    decrypted. Raises ValidationError for a malformed number."""
    digest = blind_index(validate_nhs_number(nhs_number))
    found = await session.scalar(
        sa.select(m.Participant.id).where(m.Participant.nhs_number_index == digest)
        .order_by(m.Participant.id).limit(1)
    )
    return None if found is None else int(found)


async def find_participants_by_nhs_numbers(
    session: AsyncSession, nhs_numbers: Iterable[str]
) -> dict[str, int]:
    """`find_participant_by_nhs_number` for many, in one statement: NHS number → participant
    (the first recorded), for the numbers that have one."""
    by_digest = {blind_index(validate_nhs_number(n)): n for n in nhs_numbers}
    if not by_digest:
        return {}
    found: dict[str, int] = {}
    for digest, id_ in await session.execute(
        sa.select(m.Participant.nhs_number_index, m.Participant.id)
        .where(one_of(session, m.Participant.nhs_number_index, by_digest))
        .order_by(m.Participant.id)
    ):
        found.setdefault(by_digest[digest], int(id_))
    return found


async def enrol(
    session: AsyncSession,
    participant_id: int,
    *,
    hub_id: int | None = None,
    project_id: int | None = None,
    enrolled_on: dt.date,
) -> m.Enrolment:
    """Enrol a participant in a hub or a project (an existing open enrolment is reused)."""
    existing = await session.scalar(
        sa.select(m.Enrolment).where(
            m.Enrolment.participant_id == participant_id,
            m.Enrolment.hub_id.is_(None) if hub_id is None else m.Enrolment.hub_id == hub_id,
            m.Enrolment.project_id.is_(None) if project_id is None
            else m.Enrolment.project_id == project_id,
            m.Enrolment.left_on.is_(None),
        )
    )
    if existing is not None:
        return existing
    return await writes.create(session, "enrolment", {
        "participant_id": participant_id, "hub_id": hub_id, "project_id": project_id,
        "enrolled_on": enrolled_on,
    })


async def record_attendance(
    session: AsyncSession,
    session_id: int,
    *,
    attended: Iterable[int] = (),
    did_not_attend: Iterable[int] = (),
    cancelled: Iterable[int] = (),
) -> list[m.SessionAttendee]:
    """Record who was on a session's register (replacing earlier lines for those people).

    The session's counts stay as they are: a register names enrolled participants, the counts
    are everyone in the room. Emits ``session.register_recorded``.
    """
    lines: dict[int, AttendanceStatus] = {}
    for status, ids in ((AttendanceStatus.ATTENDED, attended),
                        (AttendanceStatus.DID_NOT_ATTEND, did_not_attend),
                        (AttendanceStatus.CANCELLED, cancelled)):
        for pid in ids:
            if pid in lines and lines[pid] is not status:
                raise ValidationError.single(
                    "register", "conflicting_lines",
                    f"Participant {encode_id('Participant', pid)} is listed twice with different "
                    "statuses",
                )
            lines[pid] = status
    held = await session.get(m.Session, session_id)
    if held is None:
        raise ValidationError.single(
            "session", "not_found", f"no Session has the ID {encode_id('Session', session_id)}"
        )
    if lines:
        absent = set(await known_rows.missing(session, m.Participant, lines))
        missing = [pid for pid in lines if pid in absent]
        if missing:
            raise ValidationError([
                FieldError("not_found", "register",
                           f"no Participant has the ID {encode_id('Participant', pid)}")
                for pid in missing
            ])
        await session.execute(sa.delete(m.SessionAttendee).where(
            m.SessionAttendee.session_id == session_id,
            m.SessionAttendee.participant_id.in_(lines),
        ))
        session.add_all(
            m.SessionAttendee(session_id=session_id, participant_id=pid, status=status)
            for pid, status in lines.items()
        )
        await session.flush()
    await audit(session, action="session.register", object_type="Session",
                object_ids=[session_id])
    sink = session.info.get("event_sink")
    if sink is not None:
        await sink(session, "session.register_recorded", held, "updated", ["register"])
    return list(await session.scalars(
        sa.select(m.SessionAttendee).where(m.SessionAttendee.session_id == session_id)
        .order_by(m.SessionAttendee.participant_id)
    ))


async def first_attended(
    session: AsyncSession, participant_id: int, *, since: dt.date | None = None
) -> dt.date | None:
    """The date of the first session a participant is on the register as attended."""
    query = (
        sa.select(sa.func.min(m.Session.session_date))
        .join(m.SessionAttendee, m.SessionAttendee.session_id == m.Session.id)
        .where(m.SessionAttendee.participant_id == participant_id,
               m.SessionAttendee.status == AttendanceStatus.ATTENDED)
    )
    if since is not None:
        query = query.where(m.Session.session_date >= since)
    return await session.scalar(query)


async def record_consents(
    session: AsyncSession, consents: Sequence[Mapping[str, Any]], *, savepoint: bool = True
) -> list[int]:
    """`record_consent` for many, in a fixed number of statements; all or nothing."""
    return await writes.create_many(session, "consent", consents, savepoint=savepoint)


async def record_consent(session: AsyncSession, **fields: Any) -> m.Consent:
    """A consent (``participant_id`` or ``stakeholder_id``, ``purpose``, ``given_at``,
    ``given_by``); who recorded it is the transaction's actor."""
    return await writes.create(session, "consent", fields)


async def withdraw_consent(
    session: AsyncSession, consent_id: int, *, withdrawn_at: dt.datetime, reason: str | None = None
) -> m.Consent:
    return await writes.update(session, "consent", consent_id, {
        "withdrawn_at": withdrawn_at, "withdrawal_reason": reason,
    })


async def hubs_serving(
    session: AsyncSession, *, postcode_district: str | None = None, cohorts: Sequence[str] = ()
) -> list[tuple[int, str, int]]:
    """Active hubs for a person: (hub id, name, score), best first.

    A hub scores 2 when its catchment holds the person's postcode district and 1 per cohort of
    the person it serves; hubs scoring 0 are left out.
    """
    hub, catchment, served = m.Hub.__table__, m.hub_catchments, m.hub_cohorts
    in_area = (
        sa.exists().where(catchment.c.hub_id == hub.c.id,
                          catchment.c.postcode_district == postcode_district.upper())
        if postcode_district else sa.false()
    )
    cohort_matches = (
        sa.select(sa.func.count()).where(served.c.hub_id == hub.c.id,
                                         served.c.cohort_code.in_(list(cohorts)))
        .scalar_subquery()
        if cohorts else sa.literal(0)
    )
    score = sa.case((in_area, 2), else_=0) + cohort_matches
    rows = await session.execute(
        sa.select(hub.c.id, hub.c.name, score.label("score"))
        .where(hub.c.status == "active", score > 0)
        .order_by(sa.desc("score"), hub.c.name)
    )
    return [(int(r.id), str(r.name), int(r.score)) for r in rows]


def session_fetch(session: AsyncSession) -> Any:
    """A `services.impact.Fetch` reading through ``session``."""

    async def fetch(statement: sa.Executable) -> list[Any]:
        return list((await session.execute(statement)).all())

    return fetch


async def impact(
    session: AsyncSession, filter: ImpactFilter | None = None, parts: frozenset[str] = ALL_PARTS
) -> Impact:
    """Impact figures for a slice; ``parts`` limits the work to some of them (see
    `imm_graph.services.impact.ALL_PARTS`)."""
    return await compute_impact(session_fetch(session), filter or ImpactFilter(), parts)

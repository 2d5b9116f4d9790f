"""References are looked up once: what a transaction created or found, and the cohort codes
found in the last minute, are not looked up again; anything else still is, and is refused by
name when it does not exist."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.errors import ValidationError
from imm_graph.services import api
from tests import people
from tests.statements import statements

AT = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


async def new_cohort(db: Database, code: str) -> None:
    async with db.transaction() as session:
        session.add(m.ClinicalCohort(code=code, name=code.title(), description="-"))


def reading(table: str, seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s]


async def test_consents_for_people_created_in_the_same_transaction_need_no_look_up(
    db: Database,
) -> None:
    async with db.transaction() as session:
        ids = await api.create_participants(session, [
            {"generation": "older_person", **people.MARGARET},
            {"generation": "older_person", **people.DESMOND}])
        with statements(db) as seen:
            await api.record_consents(session, [
                {"participant_id": id_, "purpose": "referral_sharing", "given_at": AT,
                 "given_by": "referrer_recorded"} for id_ in ids])
        assert reading("participants", seen) == []
        assert any(s.lstrip().upper().startswith("INSERT INTO CONSENTS") for s in seen)


async def test_a_reference_this_transaction_did_not_create_is_looked_up(db: Database) -> None:
    async with db.transaction() as session:
        (first,) = await api.create_participants(
            session, [{"generation": "older_person", **people.MARGARET}])
    async with db.transaction() as session:
        with statements(db) as seen:
            await api.record_consents(session, [
                {"participant_id": first, "purpose": "referral_sharing", "given_at": AT,
                 "given_by": "referrer_recorded"}])
        assert len(reading("participants", seen)) == 1


async def test_a_missing_reference_is_still_refused_by_name_and_nothing_is_written(
    db: Database,
) -> None:
    with pytest.raises(ValidationError) as refused:
        async with db.transaction() as session:
            (person,) = await api.create_participants(
                session, [{"generation": "older_person", **people.MARGARET}])
            await api.record_consents(session, [
                {"participant_id": pid, "purpose": "referral_sharing", "given_at": AT,
                 "given_by": "referrer_recorded"} for pid in (person, person + 1000)])
    assert [(e.code, e.field) for e in refused.value.errors] == [("not_found", "participantId")]
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(m.Consent)) == 0


async def test_cohort_codes_found_are_not_looked_up_again_but_unknown_ones_are(
    db: Database,
) -> None:
    await new_cohort(db, "test_new_cohort")
    async with db.sessions() as session:
        with statements(db) as seen:
            assert await api.unknown_cohorts(session, ["dementia", "neurological"]) == []
            assert await api.unknown_cohorts(session, ["neurological"]) == []  # known: none
            assert len(seen) == 1
            assert await api.unknown_cohorts(
                session, ["test_new_cohort", "no_such"]) == ["no_such"]
            assert await api.unknown_cohorts(session, ["no_such"]) == ["no_such"]  # asked again
            assert len(seen) == 3
    async with db.sessions() as session:
        with statements(db) as seen:
            # Another transaction, the same database: the codes found are still known.
            assert await api.unknown_cohorts(session, ["dementia", "test_new_cohort"]) == []
            assert seen == []


async def test_a_cohort_deleted_after_it_was_found_is_refused_by_its_foreign_key(
    db: Database,
) -> None:
    await new_cohort(db, "short_lived")
    async with db.sessions() as session:
        assert await api.unknown_cohorts(session, ["short_lived"]) == []
    async with db.transaction() as session:
        await session.execute(sa.delete(m.ClinicalCohort).where(
            m.ClinicalCohort.code == "short_lived"))
    with pytest.raises(ValidationError) as refused:
        async with db.transaction() as session:
            await api.create_participants(session, [
                {"generation": "older_person", "cohort_codes": ["short_lived"],
                 **people.MARGARET}])
    assert refused.value.errors[0].code == "not_found"
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(m.Participant)) == 0



async def test_rows_created_in_a_rolled_back_savepoint_are_not_known_any_more(
    db: Database,
) -> None:
    """A savepoint that rolls back takes its rows with it: a later reference to one of them in
    the same transaction is looked up, and refused by name, not by a foreign-key error."""
    async with db.transaction() as session:
        attempt = await session.begin_nested()
        (ghost,) = await api.create_participants(
            session, [{"generation": "older_person", **people.MARGARET}])
        await attempt.rollback()
        with pytest.raises(ValidationError) as refused:
            await api.record_consents(session, [
                {"participant_id": ghost, "purpose": "referral_sharing", "given_at": AT,
                 "given_by": "referrer_recorded"}])
    assert [(e.code, e.field) for e in refused.value.errors] == [("not_found", "participantId")]

"""Bad input gets an error naming the field and the rule, and leaves no partial rows."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph import services
from imm_graph.db import Database
from imm_graph.errors import ValidationError
from tests import builders


async def count(session: AsyncSession, model: object) -> int:
    return int(await session.scalar(sa.select(sa.func.count()).select_from(model)))


async def test_duplicate_code_is_refused_and_nothing_is_written(db: Database) -> None:
    async with db.transaction() as session:
        await builders.programme(session)
    with pytest.raises(ValidationError) as caught:
        async with db.transaction() as session:
            await services.create(
                session,
                "programme",
                {"code": "sing-and-grow", "name": "Sing & Grow", "arm": "community"},
            )
            await builders.programme(session)  # same code as the first: the whole write fails
    [error] = caught.value.errors
    assert (error.code, error.field) == ("duplicate", "code")
    async with db.sessions() as session:
        assert await count(session, m.Programme) == 1


async def test_duplicate_ods_code_names_the_field(db: Database) -> None:
    async with db.transaction() as session:
        await builders.organisation(session, kind="gp_practice", ods_code="A81001")
    with pytest.raises(ValidationError) as caught:
        async with db.transaction() as session:
            await builders.organisation(
                session, name="Other", kind="gp_practice", ods_code="a81001"
            )
    assert [(e.code, e.field) for e in caught.value.errors] == [("duplicate", "odsCode")]


async def test_dangling_reference_is_refused_with_the_field(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        async with db.transaction() as session:
            host = await builders.organisation(session)
            await builders.hub(session, host.id, partner_ids=(host.id, 999), programme_id=4242)
    errors = {(e.code, e.field) for e in caught.value.errors}
    assert errors == {("not_found", "programmeId"), ("not_found", "partnerIds")}
    async with db.sessions() as session:
        # The organisation written earlier in the same transaction is gone too.
        assert await count(session, m.Organisation) == 0
        assert await count(session, m.Hub) == 0


async def test_database_refuses_a_dangling_foreign_key_on_its_own(db: Database) -> None:
    """The services check references first; the database is the backstop for raw writes."""
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as session:
            await session.execute(
                sa.insert(m.Hub).values(
                    code="x",
                    name="x",
                    venue="x",
                    area="x",
                    host_organisation_id=999,
                    status="active",
                    created_at=dt.datetime.now(dt.UTC),
                    updated_at=dt.datetime.now(dt.UTC),
                )
            )
    async with db.sessions() as session:
        assert await count(session, m.Hub) == 0


async def test_invalid_ods_code_names_the_pattern(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        async with db.transaction() as session:
            await builders.organisation(session, kind="pcn", ods_code="X1234")
    [error] = caught.value.errors
    assert (error.code, error.field) == ("ods_code_format", "odsCode")
    assert "U" in error.message
    async with db.sessions() as session:
        assert await count(session, m.Organisation) == 0


async def test_database_check_refuses_a_malformed_ods_code(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as session:
            now = dt.datetime.now(dt.UTC)
            await session.execute(
                sa.insert(m.Organisation).values(
                    name="x", kind="gp_practice", ods_code="a1", created_at=now, updated_at=now
                )
            )


async def test_out_of_range_who5_item_is_named_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        async with db.transaction() as session:
            person = await builders.participant(session)
            await builders.assessment(session, person.id, [3, 3, 7, 3, 3])
    [error] = caught.value.errors
    assert (error.code, error.field) == ("out_of_range", "items[2]")
    assert "item 3" in error.message
    async with db.sessions() as session:
        assert await count(session, m.Participant) == 0
        assert await count(session, m.OutcomeAssessment) == 0


async def test_every_broken_rule_is_reported_at_once(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        services.parse(
            "session",
            {"hub_id": 1, "session_date": "not a date", "older_people": -2, "surprise": 1},
        )
    fields = {(e.field, e.code) for e in caught.value.errors}
    assert ("sessionDate", "date_from_datetime_parsing") in fields
    assert ("olderPeople", "greater_than_equal") in fields
    assert ("surprise", "unknown_field") in fields


async def test_session_needs_exactly_one_parent(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        services.parse("session", {"session_date": dt.date(2024, 1, 1)})
    assert [(e.field, e.code) for e in caught.value.errors] == [("hubId", "one_parent")]

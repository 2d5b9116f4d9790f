"""Concurrent writers queue; none fails. On SQLite (the default) the probe saw 199 of 200
concurrent mutations fail at once with "database is locked"."""

from __future__ import annotations

import asyncio
import datetime as dt

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.ids import encode_id
from tests import builders
from tests.conftest import GraphQLClient

# Each write reads first (the hub must exist), then inserts: the read-then-write transaction
# that SQLite cannot make wait for its lock unless it begins by taking it.
RECORD = """mutation($hub: ID!, $day: Date!) {
  recordSession(input: {hub: $hub, date: $day, attendance: {olderPeople: 3}}) {
    session { date } errors { code }
  }
}"""


async def test_two_hundred_concurrent_mutations_all_succeed(
    gql: GraphQLClient, db: Database
) -> None:
    async with db.transaction() as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
    hub_id = encode_id("Hub", hub.id)
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(200)]
    responses = await asyncio.gather(*(gql.post(RECORD, hub=hub_id, day=day) for day in days))
    assert [r.status_code for r in responses] == [200] * 200
    results = [r.json()["data"]["recordSession"] for r in responses]
    assert all(result["errors"] == [] for result in results), results
    async with db.sessions() as session:
        stored = list(await session.scalars(sa.select(m.Session.session_date)))
    assert sorted(d.isoformat() for d in stored) == days


async def test_a_read_is_not_blocked_by_a_writer(db: Database) -> None:
    """Readers take no lock: a read completes while a write transaction is open."""
    async with db.transaction() as session:
        session.add(m.Organisation(name="Being written", kind="charity"))
        await session.flush()
        async with db.engine.connect() as reader:
            count = await reader.scalar(sa.select(sa.func.count()).select_from(m.Organisation))
    assert count == 0

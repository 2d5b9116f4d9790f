"""No N+1: the statements a request runs depend on the depth of the query, not on the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from imm_graph.config import Settings
from imm_graph.db import Database
from tests import builders
from tests.conftest import GraphQLClient

DEEP = """
{
  organisations(first: 50) {
    totalCount
    nodes {
      name
      hubs(first: 20) {
        nodes {
          name
          hostOrganisation { name }
          cohorts { code name }
          partners(first: 5) { totalCount nodes { name } }
          sessions(first: 10) {
            nodes { date attendance { total } cohorts { code } hub { code } }
          }
        }
      }
    }
  }
}
"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The DataLoader path is under test here; the SQL compiler (one statement) has its own."""
    return Settings(database_url=database_url, environment="test", sql_compiler=False)


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # SQLite's explicit BEGIN is transaction control, not a query (asyncpg's is not a cursor
        # execute at all); everything else counts.
        if statement.strip().upper() != "BEGIN":
            statements.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    db.driver_statement_observers.append(statements.append)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        db.driver_statement_observers.remove(statements.append)


async def _populate(db: Database, organisations: int, hubs_each: int, sessions_each: int) -> None:
    async with db.transaction() as session:
        partner = await builders.organisation(session, name="Partner School", kind="primary_school")
        for o in range(organisations):
            org = await builders.organisation(session, name=f"Care Home {o:03d}")
            for h in range(hubs_each):
                hub = await builders.hub(
                    session, org.id, code=f"h{o}-{h}", name=f"Hub {o}-{h}",
                    partner_ids=(partner.id,),
                )
                for s in range(sessions_each):
                    await builders.session_at(
                        session, hub.id, dt.date(2024, 1, 1) + dt.timedelta(days=s), staff=1
                    )


async def _statements_for_deep_query(db: Database, gql: GraphQLClient) -> tuple[int, Any]:
    await gql("{ __typename }")  # first connection set-up is not the query's cost
    with counting(db) as statements:
        data = await gql(DEEP)
    return len(statements), data


async def test_deep_query_runs_a_fixed_number_of_statements(
    db: Database, gql: GraphQLClient
) -> None:
    await _populate(db, organisations=3, hubs_each=1, sessions_each=2)
    small, _ = await _statements_for_deep_query(db, gql)

    await _populate_more(db)
    large, data = await _statements_for_deep_query(db, gql)

    # organisations, their count, hubs, host organisations, cohorts, partners, partner counts,
    # sessions, and the session's hub: one statement each, whatever the number of rows. The
    # caller's API key was verified by the warm-up request and is remembered (the key cache).
    assert small == large == 9
    orgs = data["organisations"]["nodes"]
    assert len(orgs) == 2 + 3 + 25  # two partner schools, the first and the second batch
    assert sum(len(o["hubs"]["nodes"]) for o in orgs) == 3 + 25 * 4
    assert sum(
        len(h["sessions"]["nodes"]) for o in orgs for h in o["hubs"]["nodes"]
    ) == 3 * 2 + 25 * 4 * 10


async def _populate_more(db: Database) -> None:
    async with db.transaction() as session:
        partner = await builders.organisation(session, name="Another School", kind="primary_school")
        for o in range(25):
            org = await builders.organisation(session, name=f"Day Centre {o:03d}")
            for h in range(4):
                hub = await builders.hub(
                    session, org.id, code=f"m{o}-{h}", name=f"More {o}-{h}",
                    partner_ids=(partner.id,),
                )
                for s in range(12):
                    await builders.session_at(
                        session, hub.id, dt.date(2024, 3, 1) + dt.timedelta(days=s), staff=2
                    )

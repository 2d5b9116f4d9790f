"""`one_of`: a look-up of many keys, the same answer as ``IN`` on every database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.bulk_insert import insert_rows
from imm_graph.db import Database, is_sqlite
from imm_graph.pluginhost.outbox import delivery_values
from imm_graph.sql_lists import one_of
from tests.statements import statements

KEYS = ["alpha", "beta", "k" * 200]  # the column holds 200 characters


@pytest.fixture
async def stored(db: Database) -> Database:
    async with db.transaction() as session:
        await insert_rows(session, m.OutboxDelivery.__table__, [
            delivery_values(plugin="lists", url="https://partner.example/x", payload={},
                            idempotency_key=key) for key in KEYS])
    return db


async def found(db: Database, keys: list[str]) -> set[str]:
    key = m.OutboxDelivery.idempotency_key
    async with db.sessions() as session:
        return set(await session.scalars(sa.select(key).where(one_of(session, key, keys))))


async def test_finds_the_stored_keys_among_the_asked(stored: Database) -> None:
    assert await found(stored, ["beta", "gamma", "alpha"]) == {"alpha", "beta"}
    assert await found(stored, []) == set()


async def test_a_longer_key_is_not_cut_to_match_a_stored_one(stored: Database) -> None:
    # A cast to the column's varchar(200) would cut this to the stored key and find it.
    assert await found(stored, ["k" * 201]) == set()
    assert await found(stored, ["k" * 200]) == {"k" * 200}


async def test_one_statement_text_for_any_number_of_keys(stored: Database) -> None:
    if is_sqlite(stored.url):
        pytest.skip("SQLite keeps IN: one parameter per key there")
    texts = []
    for count in (2, 31):
        with statements(stored) as seen:
            await found(stored, [f"key-{i}" for i in range(count)])
        texts.extend(seen)
    assert len(texts) == 2 and texts[0] == texts[1]

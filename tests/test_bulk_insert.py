"""`insert_rows`: a burst of rows in one statement, stored exactly as SQLAlchemy stores them.

The outbox table is the example: it has a JSON column that keeps SQL NULL apart from JSON
null, a binary column, an enum with a Python default, callable defaults (a UUID, timestamps)
and length-limited strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.bulk_insert import insert_rows
from imm_graph.db import Database, is_sqlite
from imm_graph.models.events import DomainEventRecord
from imm_graph.pluginhost.outbox import delivery_values
from tests.statements import statements

COMPARED = ("plugin", "url", "method", "content_type", "payload", "body", "headers",
            "ordering_key", "endpoint", "credentials", "secret_ref", "status", "attempts",
            "lease_token", "lease_expires_at", "event_id")


def deliveries(tag: str) -> list[dict[str, Any]]:
    at = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
    return [
        delivery_values(plugin="bulk", url="https://partner.example/a", payload={"n": 1, "é": [1]},
                        idempotency_key=f"{tag}-json", ordering_key="k1", not_before=at),
        delivery_values(plugin="bulk", url="https://partner.example/b", body=b"\x00raw\xff",
                        content_type="application/fhir+json", idempotency_key=f"{tag}-raw",
                        headers={"X-Trace": "t"}, credentials="nhs"),
        delivery_values(plugin="bulk", url="https://partner.example/c", payload=[],
                        idempotency_key=f"{tag}-empty", method="put"),
    ]


async def stored(db: Database, keys: list[str]) -> list[dict[str, Any]]:
    async with db.sessions() as session:
        found = {d.idempotency_key: d for d in await session.scalars(
            sa.select(m.OutboxDelivery).where(m.OutboxDelivery.idempotency_key.in_(keys)))}
    return [{name: getattr(found[key], name) for name in COMPARED}
            | {"next_attempt_at": found[key].next_attempt_at,
               "fresh_id": len(found[key].delivery_id) == 36}
            for key in keys]


async def test_rows_are_stored_as_sqlalchemy_stores_them(db: Database) -> None:
    async with db.transaction() as session:
        await insert_rows(session, m.OutboxDelivery.__table__, deliveries("ours"))
        await session.execute(sa.insert(m.OutboxDelivery.__table__), deliveries("theirs"))
    ours = await stored(db, ["ours-json", "ours-raw", "ours-empty"])
    theirs = await stored(db, ["theirs-json", "theirs-raw", "theirs-empty"])
    stamped = [row.pop("next_attempt_at") for row in ours]
    for row in theirs:
        row.pop("next_attempt_at")
    assert ours == theirs
    # SQL NULL, not JSON null, where a raw body was queued; the raw bytes unchanged.
    assert (ours[1]["payload"], ours[1]["body"]) == (None, b"\x00raw\xff")
    assert ours[0]["payload"] == {"n": 1, "é": [1]}
    assert stamped[0] == dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
    assert ours[2]["method"] == "PUT" and ours[2]["status"] == m.DeliveryStatus.PENDING
    assert stamped[1] > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)  # the default: now


async def test_ids_come_back_in_the_order_the_rows_were_given(db: Database) -> None:
    names = [f"bulk.{i:02d}" for i in range(40)][::-1]  # not in any sorted order of their own
    rows = [{"name": name, "entity": "Thing", "entity_id": str(i), "occurred_at":
             dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "payload": {}, "change": None,
             "changed": []} for i, name in enumerate(names)]
    async with db.transaction() as session:
        ids = await insert_rows(session, DomainEventRecord.__table__, rows, returning_ids=True)
    async with db.sessions() as session:
        by_id = dict((await session.execute(sa.select(
            DomainEventRecord.id, DomainEventRecord.name).where(
            DomainEventRecord.id.in_(ids)))).all())
    assert [by_id[i] for i in ids] == names
    assert ids == sorted(ids)  # the rows went in in the order given


async def test_a_burst_is_one_statement_whatever_its_size(db: Database) -> None:
    if is_sqlite(db.url):
        pytest.skip("SQLite takes SQLAlchemy's executemany: one statement per row there")
    seen_by_size = []
    for size in (2, 30):
        rows = [delivery_values(plugin="bulk", url="https://partner.example/x", payload={},
                                idempotency_key=f"size{size}-{i}") for i in range(size)]
        async with db.transaction() as session:
            with statements(db) as seen:
                await insert_rows(session, m.OutboxDelivery.__table__, rows)
        seen_by_size.append(seen)
    assert len(seen_by_size[0]) == len(seen_by_size[1]) == 1
    assert seen_by_size[0] == seen_by_size[1]  # the same text: prepared once, used again


async def test_a_value_too_long_is_refused_not_cut_and_nothing_is_written(db: Database) -> None:
    if is_sqlite(db.url):
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    rows = [delivery_values(plugin="bulk", url="https://partner.example/x", payload={},
                            idempotency_key="fits"),
            delivery_values(plugin="bulk", url="https://partner.example/x", payload={},
                            idempotency_key="k" * 201)]  # the column holds 200
    with pytest.raises(sa.exc.DBAPIError, match="too long"):
        async with db.transaction() as session:
            await insert_rows(session, m.OutboxDelivery.__table__, rows)
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(
            m.OutboxDelivery).where(m.OutboxDelivery.plugin == "bulk")) == 0


async def test_an_unknown_column_is_refused_by_name(db: Database) -> None:
    row = {**delivery_values(plugin="bulk", url="https://partner.example/x", payload={},
                             idempotency_key="x"), "colour": "red"}
    with pytest.raises(sa.exc.CompileError, match="colour"):
        async with db.transaction() as session:
            await insert_rows(session, m.OutboxDelivery.__table__, [row])


async def test_rows_whose_key_is_taken_are_skipped_when_asked(db: Database) -> None:
    def row(key: str, url: str) -> dict[str, Any]:
        return delivery_values(plugin="bulk", url=url, payload={}, idempotency_key=key)

    async with db.transaction() as session:
        first = await insert_rows(session, m.OutboxDelivery.__table__,
                                  [row("a", "https://partner.example/first")], returning_ids=True)
    async with db.transaction() as session:
        # "a" is stored already, "b" comes twice: the first "b" wins, the rest is skipped.
        ids = await insert_rows(
            session, m.OutboxDelivery.__table__,
            [row("a", "https://partner.example/again"), row("b", "https://partner.example/b1"),
             row("b", "https://partner.example/b2"), row("c", "https://partner.example/c")],
            returning_ids=True, skip_conflicts_on=("plugin", "idempotency_key"))
    async with db.sessions() as session:
        stored_rows = dict((await session.execute(sa.select(
            m.OutboxDelivery.idempotency_key, m.OutboxDelivery.url).where(
            m.OutboxDelivery.plugin == "bulk"))).all())
        by_id = dict((await session.execute(sa.select(
            m.OutboxDelivery.id, m.OutboxDelivery.idempotency_key).where(
            m.OutboxDelivery.id.in_(ids)))).all())
    assert stored_rows == {"a": "https://partner.example/first",
                           "b": "https://partner.example/b1", "c": "https://partner.example/c"}
    assert sorted(by_id.values()) == ["b", "c"] and first[0] not in ids


async def test_without_skipping_a_taken_key_fails_the_whole_burst(db: Database) -> None:
    rows = [delivery_values(plugin="bulk", url="https://partner.example/x", payload={},
                            idempotency_key=key) for key in ("new", "same", "same")]
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as session:
            await insert_rows(session, m.OutboxDelivery.__table__, rows)
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(
            m.OutboxDelivery).where(m.OutboxDelivery.plugin == "bulk")) == 0

"""Deliveries with an ordering key go strictly in order, one at a time; 410 and Retry-After.

A referral's status updates must reach the platform in the order they happened, even when the
platform is down for a while: the first failing update holds the ones behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
import sqlalchemy as sa

from imm_graph.db import Database
from imm_graph.models import DeliveryStatus, OutboxDelivery, OutboxEndpoint
from imm_graph.pluginhost import outbox
from imm_graph.pluginhost.outbox import OutboxSettings, enqueue_delivery, run_once
from tests.http_receiver import Receiver, closed_port

T0 = dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC)
SETTINGS = OutboxSettings(max_attempts=10, base_delay_seconds=10, max_delay_seconds=60,
                          timeout_seconds=2, lease_seconds=30, batch_size=10)
POLICY = SETTINGS.policy(random=lambda: 1.0)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


async def queue(db: Database, url: str, key: str | None, *messages: str) -> list[int]:
    ids = []
    async with db.transaction() as session:
        for message in messages:
            row = await enqueue_delivery(session, plugin="partner", url=url,
                                         payload={"status": message}, ordering_key=key,
                                         secret_ref=None, not_before=T0)
            ids.append(row.id)
    return ids


async def run(db: Database, client: httpx.AsyncClient, at: dt.datetime) -> outbox.RunReport:
    return await run_once(db, client, settings=SETTINGS, policy=POLICY, now=at)


async def statuses(db: Database, ids: list[int]) -> list[DeliveryStatus]:
    async with db.sessions() as session:
        rows = {r.id: r.status for r in await session.scalars(
            sa.select(OutboxDelivery).where(OutboxDelivery.id.in_(ids)))}
    return [rows[i] for i in ids]


async def test_three_updates_for_one_key_arrive_once_each_in_order_after_an_outage(
    db: Database, client: httpx.AsyncClient
) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}/hooks/imm"
    ids = await queue(db, url, "referral:7", "accepted", "contacted", "first_attended")
    other = await queue(db, url, "referral:8", "accepted")

    # The platform is down: only the head of each key is tried; the rest wait behind it.
    down = await run(db, client, T0)
    assert (down.claimed, down.retrying) == (2, 2)
    assert await statuses(db, ids) == [DeliveryStatus.RETRYING, DeliveryStatus.PENDING,
                                       DeliveryStatus.PENDING]
    still_down = await run(db, client, T0 + dt.timedelta(seconds=10))
    assert still_down.claimed == 2  # the same two heads again, nothing behind them

    with Receiver(port=port) as platform:  # back up
        at = T0 + dt.timedelta(seconds=40)
        for _ in range(5):
            await run(db, client, at)
        requests = list(platform.requests)
    # Each update once, and referral 7's in the order they happened.
    assert len(requests) == 4
    sevens = await keys(db, ids)
    order = [orjson.loads(r.body)["status"] for r in requests
             if r.headers["idempotency-key"] in sevens]
    assert order == ["accepted", "contacted", "first_attended"]
    assert await statuses(db, ids + other) == [DeliveryStatus.DELIVERED] * 4


async def keys(db: Database, ids: list[int]) -> set[str]:
    async with db.sessions() as session:
        return set(await session.scalars(
            sa.select(OutboxDelivery.idempotency_key).where(OutboxDelivery.id.in_(ids))))


async def test_a_dead_head_holds_its_key_until_staff_discard_it(
    db: Database, client: httpx.AsyncClient
) -> None:
    with Receiver(statuses=[500] * 20) as platform:
        ids = await queue(db, platform.url, "referral:9", "accepted", "declined")
        quick = SETTINGS.model_copy(update={"max_attempts": 1})
        once = quick.policy(random=lambda: 1.0)
        await run_once(db, client, settings=quick, policy=once, now=T0)
        assert await statuses(db, ids) == [DeliveryStatus.DEAD, DeliveryStatus.PENDING]
        await run_once(db, client, settings=quick, policy=once, now=T0 + dt.timedelta(hours=1))
        assert len(platform.requests) == 1  # the second still waits behind the dead one
        async with db.transaction() as session:
            await outbox.discard(session, ids[0])
        platform.script.clear()
        await run_once(db, client, settings=quick, policy=once, now=T0 + dt.timedelta(hours=2))
    assert await statuses(db, ids) == [DeliveryStatus.DISCARDED, DeliveryStatus.DELIVERED]


async def test_410_disables_the_endpoint_until_staff_requeue(
    db: Database, client: httpx.AsyncClient
) -> None:
    with Receiver(statuses=[410]) as platform:
        gone, held = await queue(db, platform.url, None, "first", "second")
        await run_once(db, client, settings=SETTINGS.model_copy(update={"batch_size": 1}),
                       policy=POLICY, now=T0)
        assert await statuses(db, [gone, held]) == [DeliveryStatus.GONE, DeliveryStatus.PENDING]
        later = await run(db, client, T0 + dt.timedelta(hours=1))
        assert later.claimed == 0  # nothing more goes to a gone endpoint
        async with db.sessions() as session:
            endpoint = await session.scalar(sa.select(OutboxEndpoint))
        assert endpoint is not None and endpoint.disabled_at is not None
        async with db.transaction() as session:
            # Staff: the partner is back.
            await outbox.requeue(session, gone, now=T0 + dt.timedelta(hours=2))
        await run(db, client, T0 + dt.timedelta(hours=2))
    assert await statuses(db, [gone, held]) == [DeliveryStatus.DELIVERED] * 2
    assert len(platform.requests) == 3


async def test_retry_after_is_honoured(db: Database, client: httpx.AsyncClient) -> None:
    with Receiver(statuses=[503]) as platform:
        platform.extra_headers = {"Retry-After": "120"}
        [id] = await queue(db, platform.url, None, "x")
        await run(db, client, T0)
        async with db.sessions() as session:
            row = await session.get(OutboxDelivery, id)
            assert row is not None
    # Backoff alone would retry after 10 s; the partner asked for 120.
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=120)
    assert row.last_response_excerpt == '{"error":"try later"}'

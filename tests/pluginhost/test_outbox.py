"""The transactional outbox against a real HTTP server, on SQLite and PostgreSQL.

Time is injected (``now=``) and the jitter pinned (``random=lambda: 1.0`` gives the full
backoff), so retries are driven by advancing the clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sqlalchemy as sa

from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.models import DeliveryAttempt, DeliveryStatus, OutboxDelivery
from imm_graph.pluginhost import outbox
from imm_graph.pluginhost.manager import PluginManager, PluginSettings
from imm_graph.pluginhost.outbox import OutboxSettings, enqueue_delivery, run_once
from imm_graph.pluginhost.signing import verify
from imm_graph.pluginhost.worker import Cycle, run_forever
from imm_graph.retry import RetryPolicy
from tests.http_receiver import Receiver, closed_port

SECRET = "whsec_" + base64.b64encode(b"partner-shared-secret-0123456789").decode()
PLUGIN = "partner"

SETTINGS = OutboxSettings(
    max_attempts=3, base_delay_seconds=10, max_delay_seconds=100, timeout_seconds=2,
    lease_seconds=30, batch_size=10,
)
POLICY = SETTINGS.policy(random=lambda: 1.0)  # no jitter: delays are 10 s, 20 s, ...


def secrets(plugin: str, setting: str) -> str | None:
    return SECRET if (plugin, setting) == (PLUGIN, "webhook_secret") else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


async def enqueue(db: Database, url: str, payload: object = None, **kwargs: object) -> int:
    async with db.transaction() as session:
        delivery = await enqueue_delivery(
            session, plugin=PLUGIN, url=url, payload=payload or {"hello": "partner"},
            **kwargs,  # type: ignore[arg-type]
        )
        return delivery.id


async def delivery(db: Database, id: int) -> OutboxDelivery:
    async with db.sessions() as session:
        row = await outbox.get_delivery(session, id)
        assert row is not None
        return row


async def attempts(db: Database, id: int) -> list[DeliveryAttempt]:
    async with db.sessions() as session:
        return (await outbox.attempts_for(session, [id]))[id]


async def send(db: Database, client: httpx.AsyncClient, now: dt.datetime) -> outbox.RunReport:
    return await run_once(db, client, secrets=secrets, settings=SETTINGS, policy=POLICY, now=now)


def expected_signature(headers: dict[str, str], body: bytes) -> bool:
    """Verify as a partner would, independently of the code under test (Standard Webhooks)."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    mac = hmac.new(base64.b64decode(SECRET[6:]), signed, hashlib.sha256).digest()
    return headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()


async def test_delivered_once_with_a_valid_signature(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    id = await enqueue(db, receiver.url, {"referral": 12, "status": "accepted"},
                       idempotency_key="referral-12-accepted")
    now = utcnow()

    report = await send(db, client, now)

    assert (report.claimed, report.delivered) == (1, 1)
    [request] = receiver.requests
    row = await delivery(db, id)
    assert request.path == "/hooks/imm"
    assert json.loads(request.body) == {"referral": 12, "status": "accepted"}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-imm-delivery-id"] == row.delivery_id
    assert request.headers["webhook-id"] == row.delivery_id
    assert request.headers["idempotency-key"] == "referral-12-accepted"
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert expected_signature(request.headers, request.body)
    assert verify([SECRET], request.headers, request.body, now=now.timestamp()) == row.delivery_id
    assert row.status is DeliveryStatus.DELIVERED and row.delivered_at == now
    assert row.attempts == 1 and row.last_status_code == 200 and row.lease_token is None
    [attempt] = await attempts(db, id)
    assert (attempt.succeeded, attempt.status_code, attempt.error) == (True, 200, None)
    assert attempt.duration_ms >= 0 and attempt.at == now

    # Nothing is ever sent twice, however often the worker runs.
    again = await send(db, client, now + dt.timedelta(hours=1))
    assert again.claimed == 0 and len(receiver.requests) == 1


async def test_the_secret_is_never_stored_with_the_delivery(
    db: Database, receiver: Receiver
) -> None:
    id = await enqueue(db, receiver.url)
    async with db.sessions() as session:
        table = OutboxDelivery.__table__
        row = (await session.execute(sa.select(table).where(table.c.id == id))).one()
    assert SECRET not in repr(tuple(row))
    assert row.secret_ref == "webhook_secret"


async def test_a_500_then_a_200_is_delivered_after_a_retry(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script.append(500)
    id = await enqueue(db, receiver.url)
    t0 = utcnow()

    first = await send(db, client, t0)
    row = await delivery(db, id)
    assert (first.claimed, first.retrying) == (1, 1)
    assert row.status is DeliveryStatus.RETRYING and row.last_status_code == 500
    assert row.last_error == "HTTP 500"
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=10)

    not_yet = await send(db, client, t0 + dt.timedelta(seconds=9))
    assert not_yet.claimed == 0 and len(receiver.requests) == 1

    second = await send(db, client, t0 + dt.timedelta(seconds=10))
    assert second.delivered == 1
    row = await delivery(db, id)
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 2
    assert [(a.attempt_no, a.status_code, a.succeeded) for a in await attempts(db, id)] == [
        (1, 500, False), (2, 200, True),
    ]
    # The retry is the same message: same delivery id and idempotency key, a fresh signature.
    first_request, second_request = receiver.requests
    for name in ("x-imm-delivery-id", "idempotency-key"):
        assert first_request.headers[name] == second_request.headers[name]
    assert second_request.headers["x-imm-attempt"] == "2"
    assert expected_signature(second_request.headers, second_request.body)


async def test_a_partner_that_is_down_is_retried_then_dead_lettered_and_can_be_requeued(
    db: Database, client: httpx.AsyncClient
) -> None:
    port = closed_port()
    id = await enqueue(db, f"http://127.0.0.1:{port}/hooks/imm", {"keep": "me"})
    now = utcnow()

    for expected_delay in (10, 20):
        report = await send(db, client, now)
        assert report.retrying == 1
        row = await delivery(db, id)
        assert row.next_attempt_at == now + dt.timedelta(seconds=expected_delay)
        now = row.next_attempt_at
    final = await send(db, client, now)

    assert final.dead == 1
    row = await delivery(db, id)
    assert row.status is DeliveryStatus.DEAD and row.attempts == 3
    assert row.payload == {"keep": "me"}  # nothing lost: the message waits for staff
    history = await attempts(db, id)
    assert [a.attempt_no for a in history] == [1, 2, 3]
    assert all(not a.succeeded and a.status_code is None for a in history)
    assert all(a.error and a.error.startswith("ConnectError") for a in history)
    assert (await send(db, client, now + dt.timedelta(days=1))).claimed == 0

    async with db.transaction() as session:
        listed = await outbox.list_deliveries(session, status="dead")
        assert [d.id for d in listed] == [id]
        requeued = await outbox.requeue(session, id, now=now)
        assert requeued.status is DeliveryStatus.PENDING and requeued.attempts == 0

    with Receiver(port=port) as partner_back:
        report = await send(db, client, now)
    assert report.delivered == 1
    assert json.loads(partner_back.requests[0].body) == {"keep": "me"}
    assert len(await attempts(db, id)) == 4  # history survives the re-queue


async def test_requeue_refuses_delivered_and_unknown_deliveries(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    id = await enqueue(db, receiver.url)
    await send(db, client, utcnow())
    async with db.transaction() as session:
        with pytest.raises(ValidationError) as refused:
            await outbox.requeue(session, id)
        assert refused.value.errors[0].code == "not_requeueable"
        with pytest.raises(ValidationError) as missing:
            await outbox.requeue(session, id + 1000)
        assert missing.value.errors[0].code == "not_found"


async def test_a_slow_partner_times_out_and_is_retried(
    db: Database, receiver: Receiver
) -> None:
    receiver.hold.set()
    id = await enqueue(db, receiver.url)
    quick = OutboxSettings(timeout_seconds=0.2, lease_seconds=30, max_attempts=3)
    async with httpx.AsyncClient() as http:
        report = await run_once(db, http, secrets=secrets, settings=quick, policy=POLICY)
    receiver.release.set()

    assert report.retrying == 1
    [attempt] = await attempts(db, id)
    assert attempt.error is not None and attempt.error.startswith("timeout")
    assert (await delivery(db, id)).status is DeliveryStatus.RETRYING


async def test_a_missing_signing_secret_sends_nothing(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    id = await enqueue(db, receiver.url, secret_ref="api_secret")  # not configured

    report = await send(db, client, utcnow())

    assert report.retrying == 1 and receiver.requests == []
    row = await delivery(db, id)
    assert row.last_error == "signing secret not configured: setting 'api_secret'"


async def test_unsigned_deliveries_carry_no_signature(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await enqueue(db, receiver.url, secret_ref=None, headers={"X-Partner-Tenant": "surrey"})
    await send(db, client, utcnow())
    [request] = receiver.requests
    assert "webhook-signature" not in request.headers
    assert request.headers["x-partner-tenant"] == "surrey"


async def test_enqueue_is_part_of_the_callers_transaction(db: Database, receiver: Receiver) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as session:
            await enqueue_delivery(session, plugin=PLUGIN, url=receiver.url, payload={"a": 1})
            raise Abort
    async with db.sessions() as session:
        assert await outbox.list_deliveries(session) == []


async def test_an_idempotency_key_is_enqueued_once_per_plugin(db: Database) -> None:
    url = "https://partner.example.org/hooks"
    first = await enqueue(db, url, idempotency_key="episode-7-published")
    second = await enqueue(db, url, {"other": "body"}, idempotency_key="episode-7-published")
    async with db.transaction() as session:
        other_plugin = await enqueue_delivery(
            session, plugin="podcast", url=url, payload={}, idempotency_key="episode-7-published"
        )
        rows = await outbox.list_deliveries(session)
    assert first == second != other_plugin.id
    assert len(rows) == 2


async def test_bulk_enqueueing_keeps_each_idempotency_key_once(db: Database) -> None:
    """`enqueue_deliveries` (a burst's status updates): a key used before, or twice in the
    burst, queues once; the others are queued as `enqueue_delivery` would queue them."""
    url = "https://partner.example.org/hooks"
    await enqueue(db, url, idempotency_key="referral:1:v1")
    async with db.transaction() as session:
        queued = await outbox.enqueue_deliveries(session, [
            {"plugin": PLUGIN, "url": url, "payload": {"n": 1}, "idempotency_key": "referral:1:v1"},
            {"plugin": PLUGIN, "url": url, "payload": {"n": 2}, "idempotency_key": "referral:2:v1",
             "ordering_key": "referral:2"},
            {"plugin": PLUGIN, "url": url, "payload": {"n": 3}, "idempotency_key": "referral:2:v1"},
            {"plugin": "podcast", "url": url, "body": b"x=1", "content_type": "text/plain",
             "idempotency_key": "referral:1:v1"},
        ])
        rows = await outbox.list_deliveries(session)
    assert queued == 2
    by_key = {(r.plugin, r.idempotency_key): r for r in rows}
    assert len(rows) == 3
    fresh = by_key[(PLUGIN, "referral:2:v1")]
    assert (fresh.payload, fresh.ordering_key, fresh.status) == (
        {"n": 2}, "referral:2", DeliveryStatus.PENDING)
    raw = by_key[("podcast", "referral:1:v1")]
    assert (raw.payload, raw.body, raw.endpoint) == (None, b"x=1", url)
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="absolute http"):
            await outbox.enqueue_deliveries(session, [{"plugin": PLUGIN, "url": "/relative",
                                                      "payload": {}}])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://partner.example.org/x"}, "absolute http"),
        ({"url": "/relative"}, "absolute http"),
        ({"payload": {"when": dt.date(2024, 1, 1)}}, "not JSON-serialisable"),
        ({"headers": {"Authorization": "Bearer abc"}}, "Authorization"),
        ({"headers": {"Webhook-Signature": "forged"}}, "Webhook-Signature"),
        ({"body": b"a,b\n"}, "not both"),
        ({"payload": None, "body": b"a,b\n"}, "content_type"),
        ({"method": "TRACE"}, "method must be one of"),
    ],
)
async def test_enqueue_refuses_bad_input_without_echoing_it(
    db: Database, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "plugin": PLUGIN, "url": "https://partner.example.org/x", "payload": {}, **kwargs
    }
    async with db.transaction() as session:
        with pytest.raises(ValueError, match=message) as refused:
            await enqueue_delivery(session, **arguments)  # type: ignore[arg-type]
    assert "Bearer abc" not in str(refused.value) and "forged" not in str(refused.value)


async def test_a_delivery_abandoned_by_a_crashed_worker_is_taken_over(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    id = await enqueue(db, receiver.url)
    now = utcnow()
    async with db.transaction() as session:  # what a worker that died mid-send leaves behind
        await session.execute(
            sa.update(OutboxDelivery).where(OutboxDelivery.id == id).values(
                status=DeliveryStatus.IN_FLIGHT, attempts=1, lease_token="dead-worker",
                lease_expires_at=now + dt.timedelta(seconds=5),
            )
        )

    assert (await send(db, client, now)).claimed == 0  # the lease still holds
    report = await send(db, client, now + dt.timedelta(seconds=5))

    assert report.delivered == 1 and len(receiver.requests) == 1
    row = await delivery(db, id)
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 2


async def test_staff_queries_page_and_filter_deliveries(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script.extend([500])
    ids = [await enqueue(db, receiver.url, {"n": n}) for n in range(3)]
    await send(db, client, utcnow())
    async with db.sessions() as session:
        first_page = await outbox.list_deliveries(session, limit=2)
        second_page = await outbox.list_deliveries(session, limit=2, after_id=first_page[-1].id)
        retrying = await outbox.list_deliveries(session, status=DeliveryStatus.RETRYING)
        by_public_id = await outbox.get_delivery(session, first_page[0].delivery_id)
        grouped = await outbox.attempts_for(session, ids)
        other_plugin = await outbox.list_deliveries(session, plugin="someone-else")
    assert [d.id for d in first_page + second_page] == ids
    assert len(retrying) == 1 and other_plugin == []
    assert by_public_id is not None and by_public_id.id == ids[0]
    assert sorted(len(v) for v in grouped.values()) == [1, 1, 1]


async def test_two_workers_on_postgresql_send_each_delivery_exactly_once(
    backend: str, database_url: str, receiver: Receiver
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: one outbox worker by design (no SKIP LOCKED)")
    setup = Database(database_url)
    ids = [await enqueue(setup, receiver.url, {"n": n}) for n in range(40)]
    await setup.dispose()
    small_batches = OutboxSettings(batch_size=3, lease_seconds=60, timeout_seconds=5)
    claimed: dict[str, int] = {}
    batches: list[int] = []

    async def worker(name: str) -> None:
        db = Database(database_url)
        claimed[name] = 0
        try:
            async with httpx.AsyncClient() as http:
                while (report := await run_once(
                    db, http, secrets=secrets, settings=small_batches, policy=POLICY
                )).claimed:
                    claimed[name] += report.claimed
                    batches.append(report.claimed)
        finally:
            await db.dispose()

    await asyncio.gather(worker("a"), worker("b"))

    counts = receiver.by_header("x-imm-delivery-id")
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert sum(claimed.values()) == 40
    assert max(batches) <= small_batches.batch_size
    assert all(claimed.values()), f"both workers should have taken part: {claimed}"
    check = Database(database_url)
    async with check.sessions() as session:
        statuses = set(await session.scalars(sa.select(OutboxDelivery.status)))
        total = await session.scalar(sa.select(sa.func.count()).select_from(DeliveryAttempt))
    await check.dispose()
    assert statuses == {DeliveryStatus.DELIVERED} and total == len(ids)


async def test_the_long_running_worker_sends_until_stopped(
    db: Database, receiver: Receiver
) -> None:
    await enqueue(db, receiver.url, secret_ref=None)
    stop = asyncio.Event()
    cycles: list[Cycle] = []

    def on_cycle(done: Cycle) -> None:
        cycles.append(done)
        if done.deliveries.delivered:
            stop.set()

    no_plugins = PluginManager.load(PluginSettings(disabled=["*"]))
    async with httpx.AsyncClient() as http:
        # wait_for is a safety net for a broken loop, not a wait for the work.
        await asyncio.wait_for(
            run_forever(db, http, no_plugins, settings=SETTINGS, stop=stop, on_cycle=on_cycle),
            timeout=30,
        )
    assert cycles[-1].deliveries.delivered == 1 and len(receiver.requests) == 1


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(
        max_attempts=5, base_delay=dt.timedelta(seconds=10),
        max_delay=dt.timedelta(seconds=60), random=lambda: 1.0,
    )
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    half = RetryPolicy(base_delay=dt.timedelta(seconds=10), random=lambda: 0.5)
    assert half.delay(3) == dt.timedelta(seconds=20)
    assert policy.exhausted(5) and not policy.exhausted(4)


async def test_a_raw_file_body_is_sent_as_its_exact_bytes_and_content_type(
    db: Database, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A CSV return, say: no JSON payload at all (the row holds SQL NULL, not JSON null)."""
    body = b"MEASURE_ID,MEASURE_VALUE\r\nACT01,4\r\nPEO01,*\r\n"
    async with db.transaction() as session:
        queued = await enqueue_delivery(session, plugin=PLUGIN, url=receiver.url, body=body,
                                        content_type="text/csv; charset=utf-8")
    report = await send(db, client, utcnow())
    assert report.delivered == 1
    [request] = receiver.requests
    assert request.body == body
    assert request.headers["content-type"] == "text/csv; charset=utf-8"
    assert expected_signature(request.headers, body)
    assert (await delivery(db, queued.id)).payload is None

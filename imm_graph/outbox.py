"""Transactional outbox: partner calls promised in the change's transaction, sent by a worker.

A plug-in never calls a partner while a database transaction is open. It calls
:func:`enqueue_delivery`, which writes a row next to the change (so a rolled-back change never
notifies anyone, and a committed one always does). :func:`run_once` then:

1. claims a batch of due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
   workers never claim the same row; on SQLite there is one worker) and leases them, so a
   crashed worker's rows come back after ``lease_seconds``;
2. POSTs each JSON body with httpx, signed Stripe-style
   (``X-IMM-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``) with the plug-in's
   secret resolved by name at send time, plus ``X-IMM-Delivery-Id`` and ``Idempotency-Key``;
3. records the attempt; a 2xx is delivered, anything else is retried with exponential backoff
   and full jitter until ``max_attempts``, then ``dead`` until staff re-queue it.

Delivery is at-least-once (a worker can die after sending and before recording): receivers
de-duplicate on ``Idempotency-Key``. Time and randomness are injectable so tests never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.models.outbox import DeliveryAttempt, DeliveryStatus, OutboxDelivery
from imm_graph.retry import RetryPolicy, error_text, staff_list

if TYPE_CHECKING:
    from imm_graph.events import RetryReport
    from imm_graph.plugins import PluginManager

log = get_logger(__name__)

SIGNATURE_HEADER = "X-IMM-Signature"
DELIVERY_ID_HEADER = "X-IMM-Delivery-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "imm-graph-outbox/1"
DEFAULT_SECRET_REF = "webhook_secret"
# Headers the outbox sets itself, or that would store a credential in a plain database row.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "user-agent", "authorization",
     "proxy-authorization", "cookie", SIGNATURE_HEADER.lower(), DELIVERY_ID_HEADER.lower(),
     IDEMPOTENCY_HEADER.lower(), "x-imm-attempt"}
)

# (plug-in name, setting name) -> the secret, or None when it is not configured.
SecretResolver = Callable[[str, str], str | None]


class OutboxSettings(BaseSettings):
    """Outbound delivery settings (env prefix ``IMM_OUTBOX_``)."""

    model_config = SettingsConfigDict(env_prefix="IMM_OUTBOX_", env_file=".env", extra="ignore")

    max_attempts: int = Field(default=10, ge=1)
    base_delay_seconds: float = Field(default=10, gt=0)
    max_delay_seconds: float = Field(default=3600, gt=0)
    timeout_seconds: float = Field(default=10, gt=0)
    lease_seconds: float = Field(default=120, gt=0)
    batch_size: int = Field(default=20, ge=1, le=500)
    poll_interval_seconds: float = Field(default=5, gt=0)

    @model_validator(mode="after")
    def _lease_outlives_request(self) -> OutboxSettings:
        # A lease shorter than a request would let a second worker re-send a slow delivery.
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("lease_seconds must be longer than timeout_seconds")
        return self

    def policy(self, random: Callable[[], float] | None = None) -> RetryPolicy:
        kwargs: dict[str, Any] = {} if random is None else {"random": random}
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=dt.timedelta(seconds=self.base_delay_seconds),
            max_delay=dt.timedelta(seconds=max(self.max_delay_seconds, self.base_delay_seconds)),
            **kwargs,
        )


# --- enqueueing (inside the caller's transaction) -----------------------------------------


def encode_body(payload: Any) -> bytes:
    """The exact bytes sent and signed: compact, key-sorted UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


async def enqueue_delivery(
    session: AsyncSession,
    *,
    plugin: str,
    url: str,
    payload: Any,
    event_id: int | None = None,
    headers: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    secret_ref: str | None = DEFAULT_SECRET_REF,
    not_before: dt.datetime | None = None,
) -> OutboxDelivery:
    """Promise to POST ``payload`` to ``url``, in the same transaction as the change.

    ``secret_ref`` names the plug-in setting holding the signing secret (``None``: unsigned);
    the secret itself is looked up when sending and never stored here. An ``idempotency_key``
    already used by this plug-in returns the existing delivery instead of a second one.
    """
    if not plugin:
        raise ValueError("plugin is required")
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("url must be an absolute http(s) URL")
    try:
        encode_body(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload is not JSON-serialisable ({type(exc).__name__})") from None
    extra = dict(headers or {})
    reserved = sorted(k for k in extra if k.lower() in RESERVED_HEADERS)
    if reserved:
        raise ValueError(f"headers set by the outbox or holding credentials: {', '.join(reserved)}")
    if idempotency_key is not None:
        existing = await session.scalar(
            sa.select(OutboxDelivery).where(
                OutboxDelivery.plugin == plugin, OutboxDelivery.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return existing
    public_id = str(uuid.uuid4())
    delivery = OutboxDelivery(
        delivery_id=public_id,
        plugin=plugin,
        event_id=event_id,
        url=url,
        payload=payload,
        headers=extra,
        idempotency_key=idempotency_key or public_id,
        secret_ref=secret_ref,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(delivery)
    await session.flush()
    return delivery


# --- signing --------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-IMM-Signature`` value: the timestamp is signed too, so replays can be refused."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """Check a signature header as a receiver would (several ``v1`` allow secret rotation)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k.strip() == "t"]
    candidates = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, c) for c in candidates)


# --- the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    delivery_id: str
    plugin: str
    url: str
    payload: Any
    headers: dict[str, str]
    idempotency_key: str
    secret_ref: str | None
    attempts: int
    lease_token: str


@dataclass(frozen=True)
class _Outcome:
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass
class RunReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lost_lease: int = 0


def _due(now: dt.datetime) -> sa.ColumnElement[bool]:
    waiting = sa.and_(
        OutboxDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
        OutboxDelivery.next_attempt_at <= now,
    )
    abandoned = sa.and_(
        OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_expires_at <= now
    )
    return sa.or_(waiting, abandoned)


async def _claim(db: Database, now: dt.datetime, settings: OutboxSettings) -> list[_Claimed]:
    token = str(uuid.uuid4())
    candidates = (
        sa.select(OutboxDelivery.id)
        .where(_due(now))
        .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
        .limit(settings.batch_size)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction() as session:
        if db.engine.dialect.name == "postgresql":
            # Lock first, then update by id: inside ``UPDATE … WHERE id IN (SELECT … LIMIT n)``
            # PostgreSQL may re-run the sub-select per row and claim far more than a batch.
            # Rows locked by another worker are skipped, and stay locked until this commits.
            ids = list(await session.scalars(candidates))
            if not ids:
                return []
            target = OutboxDelivery.id.in_(ids)
        else:
            # SQLite: one write statement, so no read-then-write upgrade can hit a busy snapshot.
            target = OutboxDelivery.id.in_(candidates)
        await session.execute(
            sa.update(OutboxDelivery)
            .where(target, _due(now))
            .values(
                status=DeliveryStatus.IN_FLIGHT,
                lease_token=token,
                lease_expires_at=now + dt.timedelta(seconds=settings.lease_seconds),
                attempts=OutboxDelivery.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        rows = await session.scalars(
            sa.select(OutboxDelivery)
            .where(OutboxDelivery.lease_token == token)
            .order_by(OutboxDelivery.id)
        )
        return [
            _Claimed(
                id=r.id, delivery_id=r.delivery_id, plugin=r.plugin, url=r.url,
                payload=r.payload, headers=dict(r.headers or {}),
                idempotency_key=r.idempotency_key, secret_ref=r.secret_ref,
                attempts=r.attempts, lease_token=token,
            )
            for r in rows
        ]


async def _send(
    client: httpx.AsyncClient,
    claimed: _Claimed,
    secrets: SecretResolver | None,
    now: dt.datetime,
    timeout: float,
) -> _Outcome:
    started = time.perf_counter()
    try:
        return await _post(client, claimed, secrets, now, timeout, started)
    except httpx.TimeoutException as exc:
        return _Outcome(False, None, f"timeout ({type(exc).__name__})", _ms(started))
    except Exception as exc:  # one bad row must not stop the rest of the batch
        return _Outcome(False, None, error_text(exc), _ms(started))


async def _post(
    client: httpx.AsyncClient,
    claimed: _Claimed,
    secrets: SecretResolver | None,
    now: dt.datetime,
    timeout: float,
    started: float,
) -> _Outcome:
    body = encode_body(claimed.payload)
    headers = {
        **claimed.headers,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_ID_HEADER: claimed.delivery_id,
        IDEMPOTENCY_HEADER: claimed.idempotency_key,
        "X-IMM-Attempt": str(claimed.attempts),
    }
    if claimed.secret_ref:
        secret = secrets(claimed.plugin, claimed.secret_ref) if secrets else None
        if not secret:
            # Never send unsigned what was meant to be signed; retrying lets staff fix the config.
            error = f"signing secret not configured: setting {claimed.secret_ref!r}"
            return _Outcome(False, None, error, 0)
        headers[SIGNATURE_HEADER] = sign(secret, body, int(now.timestamp()))
    response = await client.post(
        claimed.url, content=body, headers=headers, timeout=timeout, follow_redirects=False
    )
    duration = _ms(started)
    if response.is_success:
        return _Outcome(True, response.status_code, None, duration)
    return _Outcome(False, response.status_code, f"HTTP {response.status_code}", duration)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def _record(
    db: Database, claimed: _Claimed, outcome: _Outcome, now: dt.datetime, policy: RetryPolicy
) -> DeliveryStatus | None:
    values: dict[str, Any] = {
        "lease_token": None,
        "lease_expires_at": None,
        "last_status_code": outcome.status_code,
        "updated_at": now,
    }
    if outcome.succeeded:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error=None)
    elif policy.exhausted(claimed.attempts):
        values.update(status=DeliveryStatus.DEAD, last_error=outcome.error)
    else:
        values.update(
            status=DeliveryStatus.RETRYING,
            last_error=outcome.error,
            next_attempt_at=now + policy.delay(claimed.attempts),
        )
    async with db.transaction() as session:
        session.add(
            DeliveryAttempt(
                delivery_id=claimed.id, attempt_no=claimed.attempts, at=now,
                succeeded=outcome.succeeded, status_code=outcome.status_code,
                error=outcome.error, duration_ms=outcome.duration_ms,
            )
        )
        # Fenced by the lease token: if the lease ran out and another worker took the row over,
        # this worker's result is kept as an attempt but does not overwrite the row's state.
        result = await session.execute(
            sa.update(OutboxDelivery)
            .where(
                OutboxDelivery.id == claimed.id,
                OutboxDelivery.lease_token == claimed.lease_token,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    status: DeliveryStatus | None = values["status"] if result.rowcount else None
    log.info(
        "outbox.attempt",
        delivery_id=claimed.delivery_id,
        plugin=claimed.plugin,
        host=httpx.URL(claimed.url).host,
        attempt=claimed.attempts,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        outcome=str(status) if status else "lease_lost",
    )
    return status


async def run_once(
    db: Database,
    client: httpx.AsyncClient,
    *,
    secrets: SecretResolver | None = None,
    settings: OutboxSettings | None = None,
    policy: RetryPolicy | None = None,
    now: dt.datetime | None = None,
) -> RunReport:
    """Claim one batch of due deliveries, send them concurrently, record every attempt."""
    settings = settings or OutboxSettings()
    policy = policy or settings.policy()
    now = now or utcnow()
    claimed = await _claim(db, now, settings)
    report = RunReport(claimed=len(claimed))
    if not claimed:
        return report
    outcomes = await asyncio.gather(
        *(_send(client, c, secrets, now, settings.timeout_seconds) for c in claimed)
    )
    # Recorded one by one: SQLite has a single writer, and each record is its own transaction.
    for item, outcome in zip(claimed, outcomes, strict=True):
        status = await _record(db, item, outcome, now, policy)
        if status is DeliveryStatus.DELIVERED:
            report.delivered += 1
        elif status is DeliveryStatus.RETRYING:
            report.retrying += 1
        elif status is DeliveryStatus.DEAD:
            report.dead += 1
        else:
            report.lost_lease += 1
    return report


async def run_forever(
    db: Database,
    client: httpx.AsyncClient,
    *,
    secrets: SecretResolver | None = None,
    plugins: PluginManager | None = None,
    settings: OutboxSettings | None = None,
    interval: float | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    stop: asyncio.Event | None = None,
    on_cycle: Callable[[RunReport, RetryReport | None], None] | None = None,
) -> None:
    """Send deliveries and retry failed event hooks until ``stop`` is set.

    Loops without pausing while there is work; waits ``interval`` seconds (or until ``stop``)
    when a cycle found nothing. A failing database is logged and retried, not fatal, so a
    restart of PostgreSQL does not need a restart of every worker.
    """
    from imm_graph.events import EventRetrySettings, retry_events

    settings = settings or OutboxSettings()
    event_policy = EventRetrySettings().policy()
    stop = stop or asyncio.Event()
    pause = settings.poll_interval_seconds if interval is None else interval
    if secrets is None and plugins is not None:
        secrets = plugins.secret
    while not stop.is_set():
        busy = False
        try:
            report = await run_once(db, client, secrets=secrets, settings=settings, now=clock())
            events = (
                await retry_events(db, plugins, now=clock(), policy=event_policy)
                if plugins
                else None
            )
            busy = report.claimed > 0 or bool(events and events.attempted)
            if on_cycle is not None:
                on_cycle(report, events)
        except Exception as exc:  # keep the worker alive through database or network outages
            log.error("outbox.worker_cycle_failed", error=error_text(exc))
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)


# --- staff: inspect and re-queue ----------------------------------------------------------


async def list_deliveries(
    session: AsyncSession,
    *,
    status: DeliveryStatus | str | None = None,
    plugin: str | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[OutboxDelivery]:
    """Deliveries oldest first, keyset-paginated by ``id`` (pass the last id seen)."""
    return await staff_list(
        session, OutboxDelivery, status=None if status is None else DeliveryStatus(status),
        plugin=plugin, limit=limit, after_id=after_id,
    )


async def get_delivery(session: AsyncSession, id: int | str) -> OutboxDelivery | None:
    """By primary key (int) or by the public delivery id partners see (str)."""
    if isinstance(id, int):
        return await session.get(OutboxDelivery, id)
    return await session.scalar(sa.select(OutboxDelivery).where(OutboxDelivery.delivery_id == id))


async def attempts_for(
    session: AsyncSession, delivery_ids: Iterable[int]
) -> dict[int, list[DeliveryAttempt]]:
    """Attempts of many deliveries in one query, in order: the batch function for a DataLoader."""
    ids = list(dict.fromkeys(delivery_ids))
    grouped: dict[int, list[DeliveryAttempt]] = {i: [] for i in ids}
    if not ids:
        return grouped
    rows = await session.scalars(
        sa.select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(ids))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.id)
    )
    for row in rows:
        grouped[row.delivery_id].append(row)
    return grouped


async def requeue(
    session: AsyncSession, delivery_id: int, *, now: dt.datetime | None = None
) -> OutboxDelivery:
    """Put a dead (or waiting) delivery back in the queue with a fresh set of attempts.

    Its attempt history is kept. Delivered and in-flight deliveries are refused: re-queueing
    those would send the same message twice.
    """
    delivery = await session.get(OutboxDelivery, delivery_id)
    if delivery is None:
        raise ValidationError.single("id", "not_found", f"no delivery with id {delivery_id}")
    if delivery.status not in (DeliveryStatus.DEAD, DeliveryStatus.RETRYING):
        raise ValidationError.single(
            "id", "not_requeueable", f"a {delivery.status.value} delivery cannot be re-queued"
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    delivery.lease_token = None
    delivery.lease_expires_at = None
    await session.flush()
    log.info("outbox.requeued", delivery_id=delivery.delivery_id, plugin=delivery.plugin)
    return delivery

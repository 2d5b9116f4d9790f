"""Transactional outbox: partner calls promised in the change's transaction, sent by a worker.

A plug-in never calls a partner while a database transaction is open. It calls
`enqueue_delivery`, which writes a row next to the change (so a rolled-back change never
notifies anyone, and a committed one always does). `run_once` then:

1. claims a batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never
   claim the same row; on SQLite there is one worker) and leases them, so a crashed worker's
   rows come back after ``lease_seconds``. A row waits while an earlier row with the same
   ``ordering_key`` is unfinished (one at a time, in order: a failing one holds the rest), and
   while its endpoint is disabled by a 410;
2. sends each with httpx: its method, content type and exact body bytes, signed as Standard
   Webhooks specify with the plug-in's secret (resolved by name at send time), with headers from
   the plug-in's ``imm_graph_outbound_credentials`` when it asked for them (never stored);
3. records each attempt as soon as it ends (status, duration, the start of the answer): a 2xx
   is delivered; 410 disables the endpoint; anything else is retried with exponential backoff
   and full jitter (or after the partner's ``Retry-After``) until ``max_attempts``, then
   ``dead`` until staff re-queue it. A delivery that ends tells its plug-in
   (``imm_graph_delivery_result``) in the same transaction.

Delivery is at least once (a worker can die after sending and before recording): receivers
de-duplicate on ``webhook-id`` / ``Idempotency-Key``. Time and randomness are injectable so
tests never sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from imm_graph.bulk_insert import insert_rows
from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.models.outbox import (
    FINISHED,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxDelivery,
    OutboxEndpoint,
)
from imm_graph.pluginhost.contract import DeliveryResult, OutboundRequest
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.signing import signature_headers
from imm_graph.retry import RetryPolicy, error_text, staff_list
from imm_graph.security.outbound import OutboundRefused, check_destination

log = get_logger(__name__)

DELIVERY_ID_HEADER = "X-IMM-Delivery-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-IMM-Attempt"
USER_AGENT = "imm-graph-outbox/2"
DEFAULT_SECRET_REF = "webhook_secret"
EXCERPT_CHARS = 500
MAX_RETRY_AFTER = dt.timedelta(hours=24)
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "GET"})
# Headers the outbox sets itself, or that would store a credential in a plain database row.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "user-agent", "authorization",
     "proxy-authorization", "cookie", "webhook-id", "webhook-timestamp", "webhook-signature",
     DELIVERY_ID_HEADER.lower(), IDEMPOTENCY_HEADER.lower(), ATTEMPT_HEADER.lower()}
)


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
    allow_private_networks: bool | None = Field(
        default=None,
        description="Send to loopback and private addresses (defaults to on outside production: "
        "local test receivers); in production, partner URLs must be public.",
    )

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


# Plain JSON only (no dates, dataclasses or subclasses): what the JSON column stores is what is
# sent, byte for byte, at every attempt.
_PLAIN_JSON = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def encode_body(payload: Any) -> bytes:
    """The exact bytes sent and signed for a JSON payload: compact, key-sorted UTF-8 JSON."""
    return orjson.dumps(payload, option=_PLAIN_JSON)


@functools.lru_cache(maxsize=1024)
def default_endpoint(url: str) -> str:
    """What a 410 disables unless the plug-in names it: the URL without query or fragment.
    (Cached, as is `_check_url`: a plug-in sends to a few URLs many times.)"""
    return str(httpx.URL(url).copy_with(query=None, fragment=None))


@functools.lru_cache(maxsize=1024)
def _check_url(url: str) -> None:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("url must be an absolute http(s) URL")


async def enqueue_delivery(
    session: AsyncSession,
    *,
    plugin: str,
    url: str,
    payload: Any = None,
    body: bytes | None = None,
    content_type: str | None = None,
    method: str = "POST",
    event_id: int | None = None,
    headers: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    secret_ref: str | None = DEFAULT_SECRET_REF,
    ordering_key: str | None = None,
    endpoint: str | None = None,
    credentials: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxDelivery:
    """Promise to send a request to ``url``, in the same transaction as the change.

    Give ``payload`` (JSON, sent as compact key-sorted JSON) or ``body`` (raw bytes: FHIR JSON,
    a form, a CSV or XLSX file) with its ``content_type``. ``secret_ref`` names the plug-in
    setting holding the signing secret (``None``: unsigned); ``credentials`` names what the
    plug-in's ``imm_graph_outbound_credentials`` hook provides at send time. Deliveries with the
    same ``ordering_key`` are sent strictly in order. An ``idempotency_key`` already used by
    this plug-in returns the existing delivery instead of a second one.
    """
    values = delivery_values(
        plugin=plugin, url=url, payload=payload, body=body, content_type=content_type,
        method=method, event_id=event_id, headers=headers, idempotency_key=idempotency_key,
        secret_ref=secret_ref, ordering_key=ordering_key, endpoint=endpoint,
        credentials=credentials, not_before=not_before)
    if idempotency_key is not None:
        existing = await session.scalar(
            sa.select(OutboxDelivery).where(
                OutboxDelivery.plugin == plugin, OutboxDelivery.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return existing
    delivery = OutboxDelivery(**values)
    session.add(delivery)
    await session.flush()
    return delivery


async def enqueue_deliveries(session: AsyncSession, requests: Sequence[Mapping[str, Any]]) -> int:
    """`enqueue_delivery` for many (each mapping holds its keyword arguments), in one INSERT
    that skips an idempotency key this plug-in used before (or earlier in ``requests``).
    Returns how many were queued."""
    rows = [delivery_values(**request) for request in requests]
    return len(await insert_rows(session, OutboxDelivery.__table__, rows, returning_ids=True,
                                 skip_conflicts_on=("plugin", "idempotency_key")))


def delivery_values(
    *,
    plugin: str,
    url: str,
    payload: Any = None,
    body: bytes | None = None,
    content_type: str | None = None,
    method: str = "POST",
    event_id: int | None = None,
    headers: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    secret_ref: str | None = DEFAULT_SECRET_REF,
    ordering_key: str | None = None,
    endpoint: str | None = None,
    credentials: str | None = None,
    not_before: dt.datetime | None = None,
) -> dict[str, Any]:
    """A delivery's column values, after the checks that refuse a request the worker could
    never send (ValueError naming the argument)."""
    if not plugin:
        raise ValueError("plugin is required")
    _check_url(url)
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}")
    if (payload is None) == (body is None):
        raise ValueError("give a JSON payload or a raw body, not both")
    if body is not None:
        if not isinstance(body, bytes | bytearray):
            raise ValueError("body must be bytes")
        if not content_type:
            raise ValueError("a raw body needs its content_type")
    else:
        try:
            encode_body(payload)
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise ValueError(f"payload is not JSON-serialisable ({type(exc).__name__})") from None
    extra = dict(headers or {})
    reserved = sorted(k for k in extra if k.lower() in RESERVED_HEADERS)
    if reserved:
        raise ValueError(f"headers set by the outbox or holding credentials: {', '.join(reserved)}")
    public_id = "msg_" + uuid.uuid4().hex
    return {
        "delivery_id": public_id,
        "plugin": plugin,
        "event_id": event_id,
        "url": url,
        "method": method,
        "content_type": content_type or "application/json",
        "payload": payload,  # None is SQL NULL (the column's none_as_null), as the CHECK wants
        "body": bytes(body) if body is not None else None,
        "headers": extra,
        "idempotency_key": idempotency_key or public_id,
        "secret_ref": secret_ref,
        "ordering_key": ordering_key,
        "endpoint": endpoint or default_endpoint(url),
        "credentials": credentials,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": not_before or utcnow(),
    }


# --- the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    delivery_id: str
    plugin: str
    url: str
    method: str
    content_type: str
    body: bytes
    headers: dict[str, str]
    idempotency_key: str
    secret_ref: str | None
    credentials: str | None
    ordering_key: str | None
    endpoint: str
    event_id: int | None
    attempts: int
    lease_token: str


@dataclass(frozen=True)
class _Outcome:
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    excerpt: str | None = None
    retry_after: dt.timedelta | None = None

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass
class RunReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    gone: int = 0
    lost_lease: int = 0


SecretResolver = Callable[[str, str], str | None]


def _due(now: dt.datetime) -> sa.ColumnElement[bool]:
    waiting = sa.and_(
        OutboxDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
        OutboxDelivery.next_attempt_at <= now,
    )
    abandoned = sa.and_(
        OutboxDelivery.status == DeliveryStatus.IN_FLIGHT, OutboxDelivery.lease_expires_at <= now
    )
    return sa.or_(waiting, abandoned)


def _sendable() -> list[sa.ColumnElement[bool]]:
    """Not behind an unfinished delivery of its ordering key, nor to a disabled endpoint."""
    earlier = aliased(OutboxDelivery)
    endpoint = OutboxEndpoint
    return [
        sa.or_(
            OutboxDelivery.ordering_key.is_(None),
            ~sa.exists().where(
                earlier.plugin == OutboxDelivery.plugin,
                earlier.ordering_key == OutboxDelivery.ordering_key,
                earlier.id < OutboxDelivery.id,
                earlier.status.not_in(FINISHED),
            ),
        ),
        ~sa.exists().where(
            endpoint.plugin == OutboxDelivery.plugin,
            endpoint.endpoint == OutboxDelivery.endpoint,
            endpoint.disabled_at.is_not(None),
        ),
    ]


async def _claim(db: Database, now: dt.datetime, settings: OutboxSettings) -> list[_Claimed]:
    token = str(uuid.uuid4())
    candidates = (
        sa.select(OutboxDelivery.id)
        .where(_due(now), *_sendable())
        .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
        .limit(settings.batch_size)
        .with_for_update(skip_locked=True, of=OutboxDelivery)
    )
    async with db.transaction() as session:
        if db.engine.dialect.name == "postgresql":
            # Lock first, then update by id: inside ``UPDATE … WHERE id IN (SELECT … LIMIT n)``
            # PostgreSQL may re-run the sub-select per row and claim far more than a batch.
            ids = list(await session.scalars(candidates))
            if not ids:
                return []
            target = OutboxDelivery.id.in_(ids)
        else:
            target = OutboxDelivery.id.in_(candidates)  # SQLite: one writer, one statement
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
        return [_claimed(row, token) for row in rows]


def _claimed(row: OutboxDelivery, token: str) -> _Claimed:
    body = row.body if row.body is not None else encode_body(row.payload)
    return _Claimed(
        id=row.id, delivery_id=row.delivery_id, plugin=row.plugin, url=row.url,
        method=row.method, content_type=row.content_type, body=body,
        headers=dict(row.headers or {}), idempotency_key=row.idempotency_key,
        secret_ref=row.secret_ref, credentials=row.credentials, ordering_key=row.ordering_key,
        endpoint=row.endpoint, event_id=row.event_id, attempts=row.attempts, lease_token=token,
    )


@dataclass
class _Sender:
    client: httpx.AsyncClient
    plugins: PluginManager | None
    secrets: SecretResolver | None
    settings: OutboxSettings
    allow_private: bool
    db: Database | None = None

    async def send(self, claimed: _Claimed, now: dt.datetime) -> _Outcome:
        started = time.perf_counter()
        try:
            return await self._request(claimed, now, started)
        except httpx.TimeoutException as exc:
            return _Outcome(False, None, f"timeout ({type(exc).__name__})", _ms(started))
        except Exception as exc:  # one bad row must not stop the rest of the batch
            return _Outcome(False, None, error_text(exc), _ms(started))

    async def _request(self, claimed: _Claimed, now: dt.datetime, started: float) -> _Outcome:
        headers = {
            **claimed.headers,
            "Content-Type": claimed.content_type,
            "User-Agent": USER_AGENT,
            DELIVERY_ID_HEADER: claimed.delivery_id,
            IDEMPOTENCY_HEADER: claimed.idempotency_key,
            ATTEMPT_HEADER: str(claimed.attempts),
        }
        if claimed.secret_ref:
            secret = self.secrets(claimed.plugin, claimed.secret_ref) if self.secrets else None
            if not secret:
                # Never send unsigned what was meant to be signed; retrying lets staff fix it.
                return _Outcome(False, None, f"signing secret not configured: setting "
                                f"{claimed.secret_ref!r}", 0)
            headers.update(signature_headers(
                secret, claimed.delivery_id, int(now.timestamp()), claimed.body
            ))
        if claimed.credentials:
            if self.plugins is None:
                return _Outcome(False, None, "credentials asked for, but no plug-ins loaded", 0)
            headers.update(await self.plugins.outbound_credentials(OutboundRequest(
                claimed.delivery_id, claimed.plugin, claimed.url, claimed.method,
                claimed.credentials, claimed.body, int(now.timestamp()),
            ), self.db))
        try:
            await check_destination(claimed.url, allow_private=self.allow_private)
        except OutboundRefused as exc:
            return _Outcome(False, None, str(exc), 0)
        response = await self.client.request(
            claimed.method, claimed.url, content=claimed.body, headers=headers,
            timeout=self.settings.timeout_seconds, follow_redirects=False,
        )
        duration = _ms(started)
        excerpt = response.text[:EXCERPT_CHARS] or None
        if response.is_success:
            return _Outcome(True, response.status_code, None, duration, excerpt)
        return _Outcome(
            False, response.status_code, f"HTTP {response.status_code}", duration, excerpt,
            _retry_after(response.headers.get("retry-after"), now),
        )


def _retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """A partner's ``Retry-After`` (seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        wait = dt.timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        wait = when - now
    return max(dt.timedelta(0), min(wait, MAX_RETRY_AFTER))


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _ending(
    claimed: _Claimed, outcome: _Outcome, policy: RetryPolicy
) -> DeliveryStatus:
    if outcome.succeeded:
        return DeliveryStatus.DELIVERED
    if outcome.gone:
        return DeliveryStatus.GONE
    if policy.exhausted(claimed.attempts):
        return DeliveryStatus.DEAD
    return DeliveryStatus.RETRYING


async def _record(
    db: Database,
    claimed: _Claimed,
    outcome: _Outcome,
    now: dt.datetime,
    policy: RetryPolicy,
    plugins: PluginManager | None,
) -> DeliveryStatus | None:
    status = _ending(claimed, outcome, policy)
    values: dict[str, Any] = {
        "status": status,
        "lease_token": None,
        "lease_expires_at": None,
        "last_status_code": outcome.status_code,
        "last_response_excerpt": outcome.excerpt,
        "last_error": outcome.error,
        "updated_at": now,
    }
    if status is DeliveryStatus.DELIVERED:
        values["delivered_at"] = now
    elif status is DeliveryStatus.RETRYING:
        delay = policy.delay(claimed.attempts)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        values["next_attempt_at"] = now + delay
    async with db.transaction() as session:
        session.add(
            DeliveryAttempt(
                delivery_id=claimed.id, attempt_no=claimed.attempts, at=now,
                succeeded=outcome.succeeded, status_code=outcome.status_code,
                error=outcome.error, duration_ms=outcome.duration_ms,
                response_excerpt=outcome.excerpt,
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
        recorded = bool(result.rowcount)
        if recorded and status is DeliveryStatus.GONE:
            await _disable_endpoint(session, claimed, now)
        if recorded and status is not DeliveryStatus.RETRYING and plugins is not None:
            await plugins.delivery_result(_result(claimed, outcome, status), session)
    log.info(
        "outbox.attempt", delivery_id=claimed.delivery_id, plugin=claimed.plugin,
        host=httpx.URL(claimed.url).host, attempt=claimed.attempts,
        status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms,
        outcome=str(status) if recorded else "lease_lost",
    )
    return status if recorded else None


def _result(claimed: _Claimed, outcome: _Outcome, status: DeliveryStatus) -> DeliveryResult:
    return DeliveryResult(
        delivery_id=claimed.delivery_id, plugin=claimed.plugin, endpoint=claimed.endpoint,
        outcome=status.value,  # type: ignore[arg-type]
        attempts=claimed.attempts, status_code=outcome.status_code,
        response_excerpt=outcome.excerpt, ordering_key=claimed.ordering_key,
        event_id=claimed.event_id,
    )


async def _disable_endpoint(session: AsyncSession, claimed: _Claimed, now: dt.datetime) -> None:
    found = await session.scalar(
        sa.select(OutboxEndpoint).where(
            OutboxEndpoint.plugin == claimed.plugin, OutboxEndpoint.endpoint == claimed.endpoint
        )
    )
    reason = f"410 Gone to delivery {claimed.delivery_id}"
    if found is None:
        session.add(OutboxEndpoint(
            plugin=claimed.plugin, endpoint=claimed.endpoint, disabled_at=now, reason=reason
        ))
    else:
        found.disabled_at, found.reason = now, reason
    log.warning("outbox.endpoint_disabled", plugin=claimed.plugin, delivery_id=claimed.delivery_id)


async def run_once(
    db: Database,
    client: httpx.AsyncClient,
    *,
    plugins: PluginManager | None = None,
    secrets: SecretResolver | None = None,
    settings: OutboxSettings | None = None,
    policy: RetryPolicy | None = None,
    now: dt.datetime | None = None,
    production: bool = False,
) -> RunReport:
    """Claim one batch of due deliveries, send them concurrently, record each as it ends."""
    settings = settings or OutboxSettings()
    policy = policy or settings.policy()
    now = now or utcnow()
    if secrets is None and plugins is not None:
        secrets = plugins.secret
    allow_private = (
        settings.allow_private_networks if settings.allow_private_networks is not None
        else not production
    )
    sender = _Sender(client, plugins, secrets, settings, allow_private, db)
    claimed = await _claim(db, now, settings)
    report = RunReport(claimed=len(claimed))

    async def deliver(item: _Claimed) -> DeliveryStatus | None:
        outcome = await sender.send(item, now)
        # Recorded at once, not after the whole batch: a crash then re-sends only what was
        # truly in flight.
        return await _record(db, item, outcome, now, policy, plugins)

    for status in await asyncio.gather(*(deliver(c) for c in claimed)):
        if status is None:
            report.lost_lease += 1
        else:
            field_name = {"in_flight": "lost_lease"}.get(status.value, status.value)
            setattr(report, field_name, getattr(report, field_name) + 1)
    return report


# --- staff: inspect, re-queue, discard, enable -----------------------------------------------


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


async def _staff_get(session: AsyncSession, delivery_id: int) -> OutboxDelivery:
    delivery = await session.get(OutboxDelivery, delivery_id)
    if delivery is None:
        raise ValidationError.single("id", "not_found", f"no delivery with id {delivery_id}")
    return delivery


async def requeue(
    session: AsyncSession, delivery_id: int, *, now: dt.datetime | None = None
) -> OutboxDelivery:
    """Put a dead, gone (or waiting) delivery back in the queue with a fresh set of attempts.

    Its attempt history is kept. Delivered and in-flight deliveries are refused: re-queueing
    those would send the same message twice. A gone delivery's endpoint is enabled again.
    """
    delivery = await _staff_get(session, delivery_id)
    requeueable = (DeliveryStatus.DEAD, DeliveryStatus.RETRYING, DeliveryStatus.GONE,
                   DeliveryStatus.DISCARDED)
    if delivery.status not in requeueable:
        raise ValidationError.single(
            "id", "not_requeueable", f"a {delivery.status.value} delivery cannot be re-queued"
        )
    if delivery.status is DeliveryStatus.GONE:
        await enable_endpoint(session, delivery.plugin, delivery.endpoint)
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    delivery.lease_token = None
    delivery.lease_expires_at = None
    await session.flush()
    log.info("outbox.requeued", delivery_id=delivery.delivery_id, plugin=delivery.plugin)
    return delivery


async def discard(session: AsyncSession, delivery_id: int) -> OutboxDelivery:
    """Give up on an undelivered delivery, so it no longer holds later ones of its key."""
    delivery = await _staff_get(session, delivery_id)
    if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.IN_FLIGHT):
        raise ValidationError.single(
            "id", "not_discardable", f"a {delivery.status.value} delivery cannot be discarded"
        )
    delivery.status = DeliveryStatus.DISCARDED
    await session.flush()
    return delivery


async def enable_endpoint(session: AsyncSession, plugin: str, endpoint: str) -> None:
    """Send to an endpoint a 410 had disabled again (its held deliveries go out)."""
    await session.execute(
        sa.update(OutboxEndpoint)
        .where(OutboxEndpoint.plugin == plugin, OutboxEndpoint.endpoint == endpoint)
        .values(disabled_at=None, reason=None)
    )

"""Domain events: recorded with the change, handed to plug-ins in isolation, never dropped.

The flow, all inside the writer's transaction:

1. a core write (``services.writes``) or a plug-in (:func:`emit`) reports that something
   happened; the event is stored in ``domain_events``;
2. each enabled plug-in's ``imm_graph_on_event`` runs in its own SAVEPOINT, in the configured
   order;
3. if one raises, only its savepoint rolls back: the change, the event and the other plug-ins'
   work are kept, and an ``event_deliveries`` row schedules a retry for that plug-in alone.

:func:`retry_events` (run by the worker) calls failed hooks again with backoff until they
succeed or run out of attempts (``dead``, visible to staff, re-queueable with
:func:`requeue_event`).
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.bulk_insert import insert_rows
from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.models.events import DomainEventRecord, EventDelivery, EventDeliveryStatus
from imm_graph.pluginhost.contract import DomainEvent
from imm_graph.pluginhost.manager import PluginHook, PluginManager
from imm_graph.retry import RetryPolicy, error_text, staff_list

log = get_logger(__name__)

ON_EVENT = "imm_graph_on_event"
# Plug-ins reacting to events by emitting events can loop; past this depth the emit fails (and
# that failure is recorded like any other) instead of recursing until the stack runs out.
MAX_EVENT_DEPTH = 8


def event_from_record(record: DomainEventRecord) -> DomainEvent:
    return DomainEvent(
        id=record.id,
        name=record.name,
        entity=record.entity,
        entity_id=record.entity_id,
        occurred_at=record.occurred_at,
        payload=MappingProxyType(dict(record.payload or {})),
        change=record.change,  # type: ignore[arg-type]
        changed=tuple(record.changed or ()),
    )


class EventRetrySettings(BaseSettings):
    """How failed event hooks are retried (env prefix ``IMM_EVENTS_``)."""

    model_config = SettingsConfigDict(env_prefix="IMM_EVENTS_", env_file=".env", extra="ignore")

    max_attempts: int = Field(default=8, ge=1)
    base_delay_seconds: float = Field(default=60, gt=0)
    max_delay_seconds: float = Field(default=6 * 3600, gt=0)

    def policy(self, random: Callable[[], float] | None = None) -> RetryPolicy:
        kwargs: dict[str, Any] = {} if random is None else {"random": random}
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=dt.timedelta(seconds=self.base_delay_seconds),
            max_delay=dt.timedelta(seconds=max(self.max_delay_seconds, self.base_delay_seconds)),
            **kwargs,
        )


def ids_and_codes(row: Any) -> dict[str, Any]:
    """The part of a row that is safe to put in an event: keys, foreign keys, codes, and the
    columns its model marks ``info={"in_events": True}`` (never personal data).

    Reads only attributes already loaded, so it never triggers lazy IO inside async code.
    """
    state = sa.inspect(row)
    return ids_and_codes_of(state.mapper, state.dict)


def ids_and_codes_of(mapper: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """`ids_and_codes` for a row given as its column values (a bulk insert has no objects)."""
    payload: dict[str, Any] = {}
    for column in mapper.columns:
        key = column.key
        wanted = (column.primary_key or column.foreign_keys or key == "code"
                  or key.endswith("_code") or column.info.get("in_events"))
        if wanted and values.get(key) is not None:
            value = values[key]
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, dt.date):
                value = value.isoformat()  # the payload is stored as JSON
            payload[key] = value
    return payload


@dataclass(frozen=True)
class NewEvent:
    """One event of a bulk write (`emit_many`): the arguments `emit` takes, as a value."""

    name: str
    entity: str
    entity_id: object
    payload: Mapping[str, Any] | None = None
    change: str | None = None
    changed: Sequence[str] = ()


async def record_event(
    session: AsyncSession,
    name: str,
    *,
    entity: str,
    entity_id: object,
    payload: Mapping[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
    change: str | None = None,
    changed: Sequence[str] = (),
) -> DomainEvent:
    """Store an event in the current transaction without telling any plug-in."""
    record = DomainEventRecord(
        name=name,
        entity=entity,
        entity_id=str(entity_id),
        occurred_at=occurred_at or utcnow(),
        payload=dict(payload or {}),
        change=change,
        changed=list(changed),
    )
    session.add(record)
    await session.flush()
    return event_from_record(record)


async def record_events(
    session: AsyncSession, events: Sequence[NewEvent], occurred_at: dt.datetime | None = None
) -> list[DomainEvent]:
    """`record_event` for many: one INSERT for all of them, ids in the order given."""
    if not events:
        return []
    at = occurred_at or utcnow()
    rows = [{
        "name": e.name, "entity": e.entity, "entity_id": str(e.entity_id), "occurred_at": at,
        "payload": dict(e.payload or {}), "change": e.change, "changed": list(e.changed),
    } for e in events]
    ids = await insert_rows(session, DomainEventRecord.__table__, rows, returning_ids=True)
    return [DomainEvent(
        id=int(id_), name=row["name"], entity=row["entity"], entity_id=row["entity_id"],
        occurred_at=at, payload=MappingProxyType(row["payload"]), change=row["change"],
        changed=tuple(row["changed"]),
    ) for id_, row in zip(ids, rows, strict=True)]


class EventDispatcher:
    """The event sink given to ``Database(event_sink=...)``: records, then tells the plug-ins.

    Built once at start-up with the plug-in manager. ``clock`` and ``policy`` are injectable so
    tests can control when a failed hook becomes due again.
    """

    def __init__(
        self,
        plugins: PluginManager | None,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.plugins = plugins
        self.policy = policy or EventRetrySettings().policy()
        self.clock = clock

    async def __call__(
        self, session: AsyncSession, name: str, row: Any, change: str | None = None,
        changed: Sequence[str] = (),
    ) -> None:
        """The ``EventSink`` protocol of ``imm_graph.db``: called by every core write."""
        identity = sa.inspect(row).identity
        entity_id = identity[0] if identity and len(identity) == 1 else identity
        await self.emit(
            session, name, entity=name.split(".", 1)[0], entity_id=entity_id,
            payload=ids_and_codes(row), change=change, changed=changed,
        )

    async def emit(
        self,
        session: AsyncSession,
        name: str,
        *,
        entity: str,
        entity_id: object,
        payload: Mapping[str, Any] | None = None,
        change: str | None = None,
        changed: Sequence[str] = (),
    ) -> DomainEvent:
        depth = session.info.get("imm_event_depth", 0)
        if depth >= MAX_EVENT_DEPTH:
            raise RuntimeError(f"event {name!r} emitted {depth} levels deep: a plug-in loop?")
        event = await record_event(
            session, name, entity=entity, entity_id=entity_id, payload=payload,
            occurred_at=self.clock(), change=change, changed=changed,
        )
        session.info["imm_event_depth"] = depth + 1
        try:
            await self.dispatch(session, event)
        finally:
            session.info["imm_event_depth"] = depth
        return event

    async def created_many(
        self, session: AsyncSession, name: str, model: Any, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """The sink's bulk form, called by the core's `create_many`: the events ``__call__``
        would have sent for each new row (given as its column values, ``id`` included)."""
        mapper = sa.inspect(model)
        await self.emit_many(session, [NewEvent(
            name, entity=name.split(".", 1)[0], entity_id=row["id"],
            payload=ids_and_codes_of(mapper, row), change="created",
        ) for row in rows])

    async def emit_many(
        self, session: AsyncSession, events: Sequence[NewEvent]
    ) -> list[DomainEvent]:
        """`emit` for the events of one bulk write: recorded in one statement, then each
        plug-in sees them all in one savepoint. If its hook fails on any of them, that
        savepoint rolls back and the events go to it again one savepoint each, so a failure
        is recorded against the event that caused it, exactly as `emit` would have."""
        depth = session.info.get("imm_event_depth", 0)
        if depth >= MAX_EVENT_DEPTH:
            raise RuntimeError(f"events emitted {depth} levels deep: a plug-in loop?")
        recorded = await record_events(session, events, self.clock())
        session.info["imm_event_depth"] = depth + 1
        try:
            hooks = self.plugins.hook_callers(ON_EVENT) if self.plugins is not None else []
            for hook in hooks:
                if await _run_all_isolated(session, hook, recorded):
                    continue
                for event in recorded:
                    error = await run_isolated(session, hook, event)
                    if error is not None:
                        await self._record_failure(session, event, hook, error)
        finally:
            session.info["imm_event_depth"] = depth
        return recorded

    async def _record_failure(
        self, session: AsyncSession, event: DomainEvent, hook: PluginHook, error: str
    ) -> None:
        delivery = EventDelivery(event_id=event.id, plugin=hook.plugin, attempts=0)
        _after_attempt(delivery, error, self.clock(), self.policy)
        session.add(delivery)
        await session.flush()

    async def dispatch(self, session: AsyncSession, event: DomainEvent) -> list[str]:
        """Call each enabled plug-in's hook in isolation; return the names of those that failed."""
        failed: list[str] = []
        hooks = self.plugins.hook_callers(ON_EVENT) if self.plugins is not None else []
        for hook in hooks:
            error = await run_isolated(session, hook, event)
            if error is None:
                continue
            failed.append(hook.plugin)
            await self._record_failure(session, event, hook, error)
        return failed


async def run_isolated(session: AsyncSession, hook: PluginHook, event: DomainEvent) -> str | None:
    """Run one plug-in's event hook in a SAVEPOINT; return a storable error text if it failed."""
    try:
        async with session.begin_nested():
            result = hook.call(event=event, session=session)
            if inspect.isawaitable(result):
                await result
            # Flush inside the savepoint so the hook's database errors are its own failure.
            await session.flush()
    except Exception as exc:  # isolation is the point: any plug-in failure is recorded
        error = error_text(exc)
        log.warning(
            "plugin.event_hook_failed", plugin=hook.plugin, event_name=event.name,
            event_id=event.id, error=error,
        )
        return error
    return None


async def _run_all_isolated(
    session: AsyncSession, hook: PluginHook, events: Sequence[DomainEvent]
) -> bool:
    """Run one plug-in's hook on every event in one SAVEPOINT; False (rolled back) if any
    failed."""
    try:
        async with session.begin_nested():
            for event in events:
                result = hook.call(event=event, session=session)
                if inspect.isawaitable(result):
                    await result
            await session.flush()
    except Exception:  # retried one event at a time by the caller, which records the error
        return False
    return True


def _after_attempt(
    delivery: EventDelivery, error: str | None, now: dt.datetime, policy: RetryPolicy
) -> None:
    delivery.attempts += 1
    if error is None:
        delivery.status = EventDeliveryStatus.SUCCEEDED
        delivery.next_attempt_at = None
        return
    delivery.last_error = error
    if policy.exhausted(delivery.attempts):
        delivery.status = EventDeliveryStatus.DEAD
        delivery.next_attempt_at = None
        log.error(
            "plugin.event_dead", plugin=delivery.plugin, event_id=delivery.event_id,
            attempts=delivery.attempts,
        )
    else:
        delivery.status = EventDeliveryStatus.PENDING_RETRY
        delivery.next_attempt_at = now + policy.delay(delivery.attempts)


async def emit(
    session: AsyncSession,
    name: str,
    *,
    entity: str,
    entity_id: object,
    payload: Mapping[str, Any] | None = None,
    change: str | None = None,
    changed: Sequence[str] = (),
) -> DomainEvent:
    """Record a plug-in's own event (e.g. "referral.received") and tell the other plug-ins.

    Use inside the transaction of the change. Without an `EventDispatcher` on the session (a
    bare ``Database``) the event is still recorded, just not dispatched.
    """
    sink = session.info.get("event_sink")
    if isinstance(sink, EventDispatcher):
        return await sink.emit(session, name, entity=entity, entity_id=entity_id,
                               payload=payload, change=change, changed=changed)
    return await record_event(session, name, entity=entity, entity_id=entity_id,
                              payload=payload, change=change, changed=changed)


async def emit_many(session: AsyncSession, events: Sequence[NewEvent]) -> list[DomainEvent]:
    """`emit` for many events of one bulk write (same transaction rule): one INSERT, and each
    plug-in is told of them all at once."""
    sink = session.info.get("event_sink")
    if isinstance(sink, EventDispatcher):
        return await sink.emit_many(session, events)
    return await record_events(session, events)


@dataclass
class RetryReport:
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    dead: int = 0


async def retry_events(
    db: Database,
    plugins: PluginManager,
    *,
    now: dt.datetime | None = None,
    policy: RetryPolicy | None = None,
    limit: int = 100,
) -> RetryReport:
    """Call failed event hooks again, one per transaction, those due by ``now`` first.

    Each retry locks its row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several workers can
    run this at once without calling a hook twice for the same failure. Rows of plug-ins that
    are disabled or gone stay pending: they are kept, not dropped.
    """
    now = now or utcnow()
    policy = policy or EventRetrySettings().policy()
    callers = {hook.plugin: hook for hook in plugins.hook_callers(ON_EVENT)}
    report = RetryReport()
    if not callers:
        return report
    for _ in range(limit):
        async with db.transaction() as session:
            delivery = await _claim_retry(db, session, now, sorted(callers))
            if delivery is None:
                break
            record = await session.get(DomainEventRecord, delivery.event_id)
            assert record is not None  # the foreign key cascades: a delivery has its event
            error = await run_isolated(
                session, callers[delivery.plugin], event_from_record(record)
            )
            _after_attempt(delivery, error, now, policy)
            report.attempted += 1
            if error is None:
                report.succeeded += 1
            elif delivery.status == EventDeliveryStatus.DEAD:
                report.dead += 1
            else:
                report.failed += 1
    return report


async def _claim_retry(
    db: Database, session: AsyncSession, now: dt.datetime, plugins: list[str]
) -> EventDelivery | None:
    """Take the next due retry, holding it until this transaction ends."""
    pick = (
        sa.select(EventDelivery.id)
        .where(
            EventDelivery.status == EventDeliveryStatus.PENDING_RETRY,
            EventDelivery.next_attempt_at <= now,
            EventDelivery.plugin.in_(plugins),
        )
        .order_by(EventDelivery.next_attempt_at, EventDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if db.engine.dialect.name == "postgresql":
        claimed = await session.scalar(pick)  # row lock; other workers skip it
    else:
        # SQLite: write first, so this transaction holds the write lock before the hook reads;
        # a read-then-write transaction fails outright if another process wrote in between.
        claimed = await session.scalar(
            sa.update(EventDelivery)
            .where(EventDelivery.id == pick.scalar_subquery())
            .values(updated_at=now)
            .returning(EventDelivery.id)
            .execution_options(synchronize_session=False)
        )
    return await session.get(EventDelivery, claimed) if claimed is not None else None


async def requeue_event(
    session: AsyncSession, delivery_id: int, *, now: dt.datetime | None = None
) -> EventDelivery:
    """Give a dead (or waiting) event hook a fresh set of attempts, due at once."""
    delivery = await session.get(EventDelivery, delivery_id)
    if delivery is None:
        raise ValidationError.single("id", "not_found", f"no event delivery with id {delivery_id}")
    if delivery.status == EventDeliveryStatus.SUCCEEDED:
        raise ValidationError.single("id", "not_requeueable", "this event hook already succeeded")
    delivery.status = EventDeliveryStatus.PENDING_RETRY
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    await session.flush()
    return delivery


async def list_event_deliveries(
    session: AsyncSession,
    *,
    status: EventDeliveryStatus | str | None = None,
    plugin: str | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[EventDelivery]:
    """Failed (and retried) event hooks for staff, oldest first, keyset-paginated by id."""
    return await staff_list(
        session, EventDelivery, status=None if status is None else EventDeliveryStatus(status),
        plugin=plugin, limit=limit, after_id=after_id,
    )

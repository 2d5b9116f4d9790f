"""Domain events and plug-in isolation: a failing hook never costs core data or the event.

The plug-ins here are small classes registered through ``PluginManager.load(extra=...)``; the
clock and the jitter are injected, so retries become due by moving time, not by sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.models import EventDeliveryStatus
from imm_graph.plugin_api import DomainEvent, emit, enqueue_delivery, hookimpl
from imm_graph.pluginhost.events import (
    EventDispatcher,
    list_event_deliveries,
    requeue_event,
    retry_events,
)
from imm_graph.pluginhost.manager import PluginManager, PluginSettings
from imm_graph.retry import RetryPolicy
from imm_graph.services import api as services
from tests import builders

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
POLICY = RetryPolicy(
    max_attempts=3, base_delay=dt.timedelta(minutes=1), max_delay=dt.timedelta(hours=1),
    random=lambda: 1.0,
)


class Flaky:
    """Fails its first ``failures`` calls for recorded sessions, after writing to the outbox."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[int] = []

    @hookimpl
    async def imm_graph_on_event(self, event: DomainEvent, session: AsyncSession) -> None:
        if event.name != "session.recorded":
            return
        self.calls.append(event.id)
        # Written before failing: the savepoint must take this back with the failure.
        await enqueue_delivery(
            session, plugin="flaky", url="https://partner.example.org/hook",
            payload={"session": event.entity_id}, idempotency_key=f"session-{event.id}",
        )
        if len(self.calls) <= self.failures:
            raise RuntimeError("partner mapping not ready")


class Recorder:
    """A well-behaved plug-in: must see every event whatever the others do."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def imm_graph_on_event(self, event: DomainEvent) -> None:
        self.seen.append(event.name)


def manager(*plugins: tuple[str, object]) -> PluginManager:
    names = [name for name, _ in plugins]
    return PluginManager.load(
        PluginSettings(enabled=names, order=names),
        environ={},
        extra=plugins,
    )


@pytest.fixture
def clock() -> list[dt.datetime]:
    return [T0]


async def connect(url: str, plugins: PluginManager, clock: list[dt.datetime]) -> Database:
    return Database(
        url, event_sink=EventDispatcher(plugins, policy=POLICY, clock=lambda: clock[0])
    )


@pytest.fixture
async def hub_id(database_url: str) -> AsyncIterator[int]:
    plain = Database(database_url)  # no plug-ins yet: set-up data only
    async with plain.transaction() as session:
        host = await builders.organisation(session)
        hub = await builders.hub(session, host.id)
    await plain.dispose()
    yield hub.id


async def count(db: Database, model: Any) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def deliveries(db: Database) -> list[m.EventDelivery]:
    async with db.sessions() as session:
        return await list_event_deliveries(session)


async def test_a_failing_hook_keeps_the_core_write_and_is_retried_later(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    flaky, recorder = Flaky(failures=2), Recorder()
    plugins = manager(("flaky", flaky), ("recorder", recorder))
    db = await connect(database_url, plugins, clock)

    async with db.transaction() as session:
        recorded = await builders.session_at(session, hub_id, dt.date(2025, 3, 5), older_people=9)

    async with db.sessions() as session:
        kept = await session.get(m.Session, recorded.id)
        event = await session.scalar(sa.select(m.DomainEventRecord))
    assert kept is not None and kept.older_people == 9  # the core write is kept
    assert event is not None and event.name == "session.recorded"
    assert event.entity == "session" and event.entity_id == str(recorded.id)
    assert recorder.seen == ["session.recorded"]  # the other plug-in was not affected
    [failure] = await deliveries(db)
    assert failure.plugin == "flaky" and failure.event_id == event.id
    assert failure.status is EventDeliveryStatus.PENDING_RETRY and failure.attempts == 1
    assert failure.last_error == "RuntimeError: partner mapping not ready"
    assert failure.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert await count(db, m.OutboxDelivery) == 0  # the failed hook's own writes were undone

    not_due = await retry_events(db, plugins, now=T0 + dt.timedelta(seconds=59), policy=POLICY)
    assert not_due.attempted == 0

    second = await retry_events(db, plugins, now=T0 + dt.timedelta(minutes=1), policy=POLICY)
    assert (second.attempted, second.failed) == (1, 1)
    [failure] = await deliveries(db)
    assert failure.attempts == 2
    assert failure.next_attempt_at == T0 + dt.timedelta(minutes=1 + 2)

    third = await retry_events(db, plugins, now=T0 + dt.timedelta(minutes=3), policy=POLICY)
    assert third.succeeded == 1
    [done] = await deliveries(db)
    assert done.status is EventDeliveryStatus.SUCCEEDED and done.attempts == 3
    assert flaky.calls == [event.id] * 3  # the same event each time
    assert recorder.seen == ["session.recorded"]  # retries concern the failed plug-in only
    async with db.sessions() as session:
        [outbox_row] = (await session.scalars(sa.select(m.OutboxDelivery))).all()
    assert outbox_row.event_id is None and outbox_row.payload == {"session": str(recorded.id)}
    await db.dispose()


async def test_a_hook_that_keeps_failing_goes_dead_and_can_be_requeued(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    flaky = Flaky(failures=1000)
    plugins = manager(("flaky", flaky))
    db = await connect(database_url, plugins, clock)
    async with db.transaction() as session:
        await builders.session_at(session, hub_id, dt.date(2025, 3, 5))

    now = T0
    for _ in range(5):  # more rounds than attempts: the dead one is left alone
        now += dt.timedelta(hours=1)
        await retry_events(db, plugins, now=now, policy=POLICY)

    [dead] = await deliveries(db)
    assert dead.status is EventDeliveryStatus.DEAD and dead.attempts == POLICY.max_attempts
    assert len(flaky.calls) == POLICY.max_attempts
    assert await count(db, m.DomainEventRecord) == 1  # nothing dropped: the event is still there

    flaky.failures = 0  # the partner's side is fixed; staff re-queue
    async with db.transaction() as session:
        requeued = await requeue_event(session, dead.id, now=now)
        assert requeued.status is EventDeliveryStatus.PENDING_RETRY and requeued.attempts == 0
    report = await retry_events(db, plugins, now=now, policy=POLICY)
    assert report.succeeded == 1
    async with db.transaction() as session:
        with pytest.raises(ValidationError) as refused:
            await requeue_event(session, dead.id)
    assert refused.value.errors[0].code == "not_requeueable"
    await db.dispose()


class Duplicator:
    """Breaks a database constraint from inside its hook (a real IntegrityError)."""

    @hookimpl
    async def imm_graph_on_event(self, event: DomainEvent, session: AsyncSession) -> None:
        if event.name == "session.recorded":
            session.add(m.Organisation(name="Copy", kind="care_home", ods_code="Y12345"))
            await session.flush()


async def test_a_database_error_in_a_hook_leaves_the_transaction_usable(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    recorder = Recorder()
    plugins = manager(("duplicator", Duplicator()), ("recorder", recorder))
    db = await connect(database_url, plugins, clock)

    async with db.transaction() as session:
        await builders.organisation(session, name="Elm House", ods_code="Y12345")
        recorded = await builders.session_at(session, hub_id, dt.date(2025, 3, 5))
        # The transaction goes on after the failed hook (on PostgreSQL too).
        await builders.session_at(session, hub_id, dt.date(2025, 3, 12))

    async with db.sessions() as session:
        assert await session.get(m.Session, recorded.id) is not None
    assert await count(db, m.Session) == 2 and await count(db, m.Organisation) == 2
    failures = await deliveries(db)
    assert len(failures) == 2 and {f.plugin for f in failures} == {"duplicator"}
    for failure in failures:
        assert failure.last_error is not None and "IntegrityError" in failure.last_error
        assert "Y12345" not in failure.last_error  # no values in stored errors
    assert recorder.seen.count("session.recorded") == 2
    await db.dispose()


async def test_a_rolled_back_change_takes_its_event_with_it(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    flaky = Flaky(failures=1)
    db = await connect(database_url, manager(("flaky", flaky)), clock)

    with pytest.raises(ZeroDivisionError):
        async with db.transaction() as session:
            await builders.session_at(session, hub_id, dt.date(2025, 3, 5))
            1 / 0  # noqa: B018

    assert flaky.calls  # the hook ran...
    for model in (m.Session, m.DomainEventRecord, m.EventDelivery):
        assert await count(db, model) == 0  # ...and everything left with the transaction
    await db.dispose()


async def test_events_carry_ids_and_codes_only(
    database_url: str, clock: list[dt.datetime]
) -> None:
    db = await connect(database_url, manager(), clock)
    async with db.transaction() as session:
        host = await builders.organisation(session, postcode="EN2 6SD", address="1 Lodge Lane")
        hub = await builders.hub(session, host.id)
        await builders.session_at(session, hub.id, dt.date(2025, 3, 5), facilitator="Alice Smith")

    async with db.sessions() as session:
        events = {e.name: e for e in await session.scalars(sa.select(m.DomainEventRecord))}
    assert events["organisation.saved"].payload == {"id": host.id}
    assert events["hub.saved"].payload == {
        "id": hub.id, "code": "enfield", "host_organisation_id": host.id,
    }
    session_payload = events["session.recorded"].payload
    assert session_payload["hub_id"] == hub.id and set(session_payload) == {"id", "hub_id"}
    assert "Alice" not in str(events) and "EN2" not in str(events)
    assert all(e.occurred_at == T0 for e in events.values())
    await db.dispose()


class Referrals:
    """A plug-in announcing its own event, as the social prescribing plug-in will."""

    @hookimpl
    async def imm_graph_on_event(self, event: DomainEvent, session: AsyncSession) -> None:
        if event.name == "session.recorded":
            await emit(
                session, "referral.received", entity="referral", entity_id=41,
                payload={"referral_id": 41},
            )


async def test_plugins_can_emit_events_that_other_plugins_receive(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    recorder = Recorder()
    db = await connect(database_url, manager(("referrals", Referrals()), ("rec", recorder)), clock)
    async with db.transaction() as session:
        await builders.session_at(session, hub_id, dt.date(2025, 3, 5))

    assert recorder.seen == ["referral.received", "session.recorded"]
    async with db.sessions() as session:
        names = set(await session.scalars(sa.select(m.DomainEventRecord.name)))
    assert names == {"session.recorded", "referral.received"}
    await db.dispose()


async def test_retries_for_a_disabled_plugin_are_kept_not_dropped(
    database_url: str, hub_id: int, clock: list[dt.datetime]
) -> None:
    db = await connect(database_url, manager(("flaky", Flaky(failures=5))), clock)
    async with db.transaction() as session:
        await builders.session_at(session, hub_id, dt.date(2025, 3, 5))
    await db.dispose()

    without_flaky = manager(("recorder", Recorder()))
    db = await connect(database_url, without_flaky, clock)
    report = await retry_events(db, without_flaky, now=T0 + dt.timedelta(days=1), policy=POLICY)

    assert report.attempted == 0
    [waiting] = await deliveries(db)
    assert waiting.status is EventDeliveryStatus.PENDING_RETRY and waiting.attempts == 1
    await db.dispose()


async def test_a_core_write_without_plugins_still_records_its_event(
    database_url: str, clock: list[dt.datetime]
) -> None:
    db = await connect(database_url, manager(), clock)
    async with db.transaction() as session:
        await builders.organisation(session)
        await emit(session, "episode.published", entity="episode", entity_id="ep-7")
    async with db.sessions() as session:
        names = list(await session.scalars(sa.select(m.DomainEventRecord.name).order_by("id")))
    assert names == ["organisation.saved", "episode.published"]
    await db.dispose()


async def test_the_db_fixture_records_no_events_without_a_sink(db: Database) -> None:
    # The plain ``Database`` used by most tests has no sink: core writes behave as before.
    async with db.transaction() as session:
        await builders.organisation(session)
    assert await count(db, m.DomainEventRecord) == 0
    await requeue_missing(db)


async def requeue_missing(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValidationError) as missing:
            await requeue_event(session, 12345, now=utcnow())
    assert missing.value.errors[0].code == "not_found"


# --- bulk writes: one statement for many events, the same isolation per event -------------


class PicksOne:
    """Fails on one participant's event only, after writing: its other events must stand."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.calls: list[str] = []

    @hookimpl
    async def imm_graph_on_event(self, event: DomainEvent, session: AsyncSession) -> None:
        if event.name != "participant.saved":
            return
        self.calls.append(event.entity_id)
        await enqueue_delivery(
            session, plugin="picky", url="https://partner.example.org/people",
            payload={"participant": event.entity_id}, idempotency_key=f"p-{event.entity_id}",
        )
        if event.entity_id == self.bad:
            raise RuntimeError("no mapping for this one")


async def test_bulk_created_records_send_one_event_each_and_a_failure_stays_with_its_event(
    database_url: str, clock: list[dt.datetime]
) -> None:
    plain = Database(database_url)
    async with plain.transaction() as session:  # ids are 1, 2, 3 in a fresh database
        first = await services.create_participant(session, ref="P-ONE", generation="adult")
    await plain.dispose()
    bad = str(first.id + 2)
    picky, recorder = PicksOne(bad), Recorder()
    db = await connect(database_url, manager(("picky", picky), ("recorder", recorder)), clock)
    async with db.transaction() as session:
        ids = await services.create_participants(session, [
            {"generation": "adult", "cohort_codes": ()},
            {"generation": "older_person", "given_name": "Ada"},
            {"generation": "child"},
        ])
    assert [str(i) for i in ids] == [str(first.id + 1), bad, str(first.id + 3)]

    async with db.sessions() as session:
        events = list(await session.scalars(
            sa.select(m.DomainEventRecord).where(m.DomainEventRecord.entity_id.in_(
                [str(i) for i in ids])).order_by(m.DomainEventRecord.id)))
        sent = sorted(d.payload["participant"] for d in await session.scalars(
            sa.select(m.OutboxDelivery)))
        audit = list(await session.scalars(sa.select(m.AuditEntry).where(
            m.AuditEntry.action == "participant.create").order_by(m.AuditEntry.id)))
    # One event per record, as `create` gives: ids and codes only, "created".
    assert [(e.name, e.entity_id, e.change, e.payload) for e in events] == [
        ("participant.saved", str(i), "created", {"id": i}) for i in ids]
    assert "Ada" not in str([e.payload for e in events])
    # The hook ran for all three together, failed on the second, and then one by one: the
    # other two keep their writes; the failure is recorded against the second's event only.
    assert sent == sorted(str(i) for i in ids if str(i) != bad)
    [failure] = await deliveries(db)
    assert failure.plugin == "picky" and failure.event_id == events[1].id
    assert recorder.seen == ["participant.saved"] * 3
    # And one audit row each, as three `create` calls would write.
    assert [a.object_ids for a in audit][-3:] == [[str(i)] for i in ids]
    await db.dispose()


async def test_a_refused_bulk_create_writes_nothing(
    database_url: str, clock: list[dt.datetime]
) -> None:
    db = await connect(database_url, manager(), clock)
    async with db.transaction() as session:
        with pytest.raises(ValidationError) as refused:
            await services.create_participants(session, [
                {"generation": "adult"},
                {"generation": "adult", "cohort_codes": ("astronauts",)},
            ])
    assert [(e.field, e.code) for e in refused.value.errors] == [("cohortCodes", "not_found")]
    assert (await count(db, m.Participant), await count(db, m.DomainEventRecord),
            await count(db, m.AuditEntry)) == (0, 0, 0)
    await db.dispose()

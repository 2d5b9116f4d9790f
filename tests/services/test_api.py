"""The typed service API plug-ins call: what a referral integration does, step by step.

Every write lands in the caller's transaction, audited with its actor, and emits an event that
says whether the record was created or updated and which fields changed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph import services
from imm_graph.db import Database
from imm_graph.errors import ValidationError
from imm_graph.pluginhost.events import EventDispatcher
from imm_graph.pluginhost.manager import PluginManager, PluginSettings
from imm_graph.security.audit import Actor
from imm_graph.services import api
from tests import builders, people

ACTOR = Actor("social_prescribing:joy")


@pytest.fixture
async def events(database_url: str) -> Database:
    """A database whose writes emit events (no plug-ins listen: they are just recorded)."""
    plugins = PluginManager.load(PluginSettings(disabled=["*"]))
    return Database(database_url, event_sink=EventDispatcher(plugins), plugins=plugins)


async def test_a_referred_person_is_created_found_by_nhs_number_and_enrolled(
    events: Database,
) -> None:
    async with events.transaction(actor=ACTOR) as session:
        org = await builders.organisation(session)
        hub = await builders.hub(session, org.id, catchment=("TW3", "TW4"))
        person = await api.create_participant(
            session, generation="older_person", **people.MARGARET, sex="2", ethnicity="A",
        )
        assert person.ref.startswith("R-")
        assert person.postcode_district == "EN2"  # from the postcode, kept outside encryption
        found = await api.find_participant_by_nhs_number(session, "943-476-5919")
        assert found == person.id
        assert await api.find_participant_by_nhs_number(session, "401 023 2137") is None
        first = await api.enrol(session, person.id, hub_id=hub.id, enrolled_on=dt.date(2025, 1, 6))
        again = await api.enrol(session, person.id, hub_id=hub.id, enrolled_on=dt.date(2025, 2, 1))
        assert again.id == first.id  # an open enrolment is reused
    figures = await _impact(events, hub.id)
    assert figures.people_engaged == 1


async def _impact(db: Database, hub_id: int) -> api.Impact:
    async with db.sessions() as session:
        return await api.impact(session, api.ImpactFilter(hub_id=hub_id))


async def test_writes_are_audited_with_the_transactions_actor(events: Database) -> None:
    async with events.transaction(actor=ACTOR) as session:
        person = await api.create_participant(session, generation="child")
        await api.update_participant(session, person.id, age_band="5-10")
    async with events.sessions() as session:
        entries = list(await session.scalars(sa.select(m.AuditEntry).order_by(m.AuditEntry.id)))
    assert [(e.actor, e.action, e.object_type, e.object_ids, e.fields) for e in entries] == [
        ("social_prescribing:joy", "participant.create", "Participant", [str(person.id)], []),
        ("social_prescribing:joy", "participant.update", "Participant", [str(person.id)],
         ["ageBand"]),
    ]


async def test_events_say_created_or_updated_and_which_fields_changed(events: Database) -> None:
    async with events.transaction(actor=ACTOR) as session:
        org = await builders.organisation(session)
        hub = await builders.hub(session, org.id)
    async with events.transaction(actor=ACTOR) as session:
        await services.update(session, "hub", hub.id, {"schedule": "Fridays", "catchment": ["TW3"]})
        await services.update(session, "hub", hub.id, {"schedule": "Fridays"})  # no change
    async with events.sessions() as session:
        rows = list(await session.execute(
            sa.select(m.DomainEventRecord.change, m.DomainEventRecord.changed)
            .where(m.DomainEventRecord.name == "hub.saved").order_by(m.DomainEventRecord.id)
        ))
    assert [(r.change, r.changed) for r in rows] == [
        ("created", []), ("updated", ["schedule", "catchment"]), ("updated", []),
    ]


async def test_the_register_records_who_came_and_first_attendance_follows(
    events: Database,
) -> None:
    async with events.transaction(actor=ACTOR) as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
        early = await builders.session_at(session, hub.id, dt.date(2025, 3, 3), older_people=9)
        later = await builders.session_at(session, hub.id, dt.date(2025, 3, 10), older_people=8)
        ann = await builders.participant(session, "P-1")
        bob = await builders.participant(session, "P-2")
        await api.record_attendance(session, early.id, attended=[bob.id], did_not_attend=[ann.id])
        lines = await api.record_attendance(session, later.id, attended=[ann.id, bob.id])
        assert [(line.participant_id, line.status.value) for line in lines] == [
            (ann.id, "attended"), (bob.id, "attended"),
        ]
        assert await api.first_attended(session, ann.id) == dt.date(2025, 3, 10)
        assert await api.first_attended(session, bob.id) == dt.date(2025, 3, 3)
        assert await api.first_attended(session, bob.id, since=dt.date(2025, 3, 4)) == dt.date(
            2025, 3, 10)
        # The counts of the sessions are theirs: a register does not change them.
        assert (await session.get(m.Session, early.id)).older_people == 9  # type: ignore[union-attr]


async def test_a_register_naming_someone_twice_or_no_one_known_is_refused(db: Database) -> None:
    async with db.transaction() as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
        held = await builders.session_at(session, hub.id, dt.date(2025, 3, 3))
        ann = await builders.participant(session, "P-1")
    for lines, code in (
        ({"attended": [ann.id], "did_not_attend": [ann.id]}, "conflicting_lines"),
        ({"attended": [ann.id + 999]}, "not_found"),
    ):
        with pytest.raises(ValidationError) as refused:
            async with db.transaction() as session:
                await api.record_attendance(session, held.id, **lines)
        assert refused.value.errors[0].code == code
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(m.SessionAttendee)) == 0


async def test_consent_is_recorded_by_the_actor_and_withdrawn(events: Database) -> None:
    given = dt.datetime(2025, 1, 6, 10, tzinfo=dt.UTC)
    async with events.transaction(actor=ACTOR) as session:
        person = await builders.participant(session)
        consent = await api.record_consent(
            session, participant_id=person.id, purpose="referral_sharing", given_at=given,
            given_by="referrer_recorded",
        )
        assert consent.recorded_by == "social_prescribing:joy"
        withdrawn = await api.withdraw_consent(
            session, consent.id, withdrawn_at=given + dt.timedelta(days=30), reason="moved away"
        )
        assert withdrawn.withdrawn_at == given + dt.timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        async with events.transaction(actor=ACTOR) as session:
            await api.withdraw_consent(session, consent.id, withdrawn_at=given - dt.timedelta(1))
    assert refused.value.errors[0].field == "withdrawnAt"


async def test_hubs_are_suggested_by_catchment_then_cohorts(db: Database) -> None:
    async with db.transaction() as session:
        org = await builders.organisation(session)
        near = await builders.hub(session, org.id, code="near", name="Near Hub",
                                  catchment=("TW3",), cohort_codes=("older_people",))
        cohort_only = await builders.hub(session, org.id, code="far", name="Far Hub",
                                         cohort_codes=("dementia", "older_people"))
        await builders.hub(session, org.id, code="none", name="Unrelated Hub", cohort_codes=())
        await builders.hub(session, org.id, code="closed", name="Closed Hub",
                           catchment=("TW3",), status="closed")
        suggested = await api.hubs_serving(session, postcode_district="tw3",
                                           cohorts=["dementia", "older_people"])
    assert [(hub_id, score) for hub_id, _, score in suggested] == [
        (near.id, 3), (cohort_only.id, 2),
    ]


async def test_impact_of_a_set_of_hubs_counts_their_sessions_and_no_others(db: Database) -> None:
    """`hub_ids` (a commissioner's area): sessions of any listed hub, none of the rest; an empty
    set counts nothing rather than everything."""
    async with db.transaction(actor=ACTOR) as session:
        org = await builders.organisation(session)
        a = await builders.hub(session, org.id, code="a")
        b = await builders.hub(session, org.id, code="b")
        c = await builders.hub(session, org.id, code="c")
        for hub, older in ((a, 3), (b, 5), (c, 11)):
            await builders.session_at(session, hub.id, dt.date(2024, 11, 6), older_people=older)
    async with db.sessions() as session:
        two = await api.impact(session, api.ImpactFilter(hub_ids=(a.id, b.id)))
        none = await api.impact(session, api.ImpactFilter(hub_ids=()))
    assert (two.sessions_delivered, two.attendance.older_people) == (2, 8)
    assert (none.sessions_delivered, none.attendance.older_people) == (0, 0)

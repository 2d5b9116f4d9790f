"""Every core model written through the services and read back in a fresh session."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from imm_graph import models as m
from imm_graph import services
from imm_graph.db import Database
from tests import builders


async def test_reference_data_is_loaded_by_the_first_migration(db: Database) -> None:
    async with db.sessions() as session:
        cohorts = set(await session.scalars(sa.select(m.ClinicalCohort.code)))
        kinds = set(await session.scalars(sa.select(m.StakeholderKind.code)))
    assert len(cohorts) == 15 and {"dementia", "send", "refugees"} <= cohorts
    assert len(kinds) == 18 and {"volunteers", "housing_providers"} <= kinds


async def test_every_model_round_trips(db: Database) -> None:
    async with db.transaction() as session:
        host = await builders.organisation(session, postcode="en2 6pg")
        school = await builders.organisation(
            session, name="Northside Primary School", kind="primary_school"
        )
        gp = await builders.organisation(
            session, name="Riverside Surgery", kind="gp_practice", ods_code="a81001"
        )
        prog = await builders.programme(session)
        hub = await builders.hub(session, host.id, partner_ids=(school.id,), programme_id=prog.id)
        proj = await builders.project(
            session, prog.id, lead_organisation_id=school.id, cohort_codes=("send",)
        )
        await builders.session_at(
            session, hub.id, dt.date(2024, 1, 10), children_young_people=14, older_people=11,
            staff=3, volunteers=2,
        )
        person = await builders.participant(session, cohort_codes=("dementia",))
        await services.create(
            session, "enrolment",
            {"participant_id": person.id, "hub_id": hub.id, "enrolled_on": dt.date(2024, 1, 10)},
        )
        await builders.assessment(session, person.id, [3, 3, 3, 3, 3], hub_id=hub.id)
        await services.create(
            session, "stakeholder",
            {"name": "Kyri Chrisostomou", "kind_code": "community_organisations",
             "organisation_id": school.id, "role": "Programme Manager"},
        )
        await services.create(
            session, "training",
            {"title": "Music and Movement for care staff", "delivered_on": dt.date(2024, 2, 1),
             "trainees": 12, "organisation_id": host.id, "programme_id": prog.id},
        )

    async with db.sessions() as session:
        org = await session.get(m.Organisation, gp.id)
        assert org is not None and org.ods_code == "A81001" and org.kind == "gp_practice"
        assert org.created_at.tzinfo is not None
        assert (await session.get(m.Organisation, host.id)).postcode == "EN2 6PG"
        saved_hub = await session.get(m.Hub, hub.id)
        assert saved_hub.host_organisation_id == host.id and saved_hub.programme_id == prog.id
        assert saved_hub.started_on == dt.date(2023, 9, 6)
        assert set(
            await session.scalars(
                sa.select(m.hub_cohorts.c.cohort_code).where(m.hub_cohorts.c.hub_id == hub.id)
            )
        ) == {"older_people", "cyp"}
        assert list(
            await session.scalars(
                sa.select(m.hub_partners.c.organisation_id).where(m.hub_partners.c.hub_id == hub.id)
            )
        ) == [school.id]
        saved_project = await session.get(m.Project, proj.id)
        assert saved_project.weeks == 8 and saved_project.lead_organisation_id == school.id
        row = (await session.scalars(sa.select(m.Session))).one()
        assert (row.children_young_people, row.older_people, row.staff, row.volunteers) == (
            14, 11, 3, 2,
        )
        assessment = (await session.scalars(sa.select(m.OutcomeAssessment))).one()
        assert assessment.items == [3, 3, 3, 3, 3]
        assert (assessment.raw_score, assessment.score) == (15, 60)
        assert (await session.scalars(sa.select(m.Enrolment))).one().hub_id == hub.id
        assert (await session.scalars(sa.select(m.Stakeholder))).one().role == "Programme Manager"
        assert (await session.scalars(sa.select(m.TrainingDelivery))).one().trainees == 12
        assert (await session.get(m.Participant, person.id)).generation == "older_person"


async def test_update_validates_the_whole_record(db: Database) -> None:
    async with db.transaction() as session:
        prog = await builders.programme(session)
        proj = await builders.project(session, prog.id, end_date=dt.date(2023, 12, 1))
    async with db.transaction() as session:
        updated = await services.update(session, "project", proj.id, {"weeks": 10})
        assert updated.weeks == 10 and updated.end_date == dt.date(2023, 12, 1)

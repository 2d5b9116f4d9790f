"""Loads the demo data set (imm_graph.demo_data) through the core's own write services.

Idempotent: every record is matched on its natural key first, so seeding twice changes nothing.
The whole load is one transaction: it lands complete or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import demo_data as d
from imm_graph import models as m
from imm_graph import services
from imm_graph.db import Database
from imm_graph.pluginhost.collect import collect
from imm_graph.security.audit import Actor

# (the table being loaded, how many more of its rows are done). Steps are named after the tables
# of table_counts(), so a progress bar per step ends at the rows that step loaded.
Progress = Callable[[str, int], None]


def _noop(_: str, __: int) -> None:
    return None


def demo_sizes() -> dict[str, int]:
    """Rows a full load writes to each table, in loading order: one progress bar per table.

    Enrolments and assessments are written while participants load, but counted apart: a bar
    that said "participants 938/938" for 305 people misled everyone who read it.
    """
    participants = list(d.participant_plan())
    return {
        "organisations": len(d.ORGANISATIONS),
        "programmes": len(d.PROGRAMMES),
        "hubs": len(d.HUBS),
        "projects": len(d.PROJECTS),
        "stakeholders": len(d.STAKEHOLDERS),
        "trainings": len(d.TRAININGS),
        "sessions": sum(1 for _ in d.session_plan()),
        "participants": len(participants),
        "enrolments": len(participants),
        "assessments": sum(len(p.assessments) for p in participants),
    }


def demo_size() -> int:
    """How many rows a full load writes, all tables together."""
    return sum(demo_sizes().values())


DEMO_TOPIC = "imm_graph.demo"


async def seed_demo(db: Database, progress: Progress = _noop) -> dict[str, int]:
    """The core's demo data, then each plug-in's (topic ``imm_graph.demo`` of
    ``imm_graph_contribute``: a plug-in adds its demo rows through the session it is given and
    returns ``{table: rows}``). One transaction: it lands complete or not at all."""
    async with db.transaction(actor=Actor.system("demo")) as session:
        await _Loader(session, progress).run()
        contributed = await collect(DEMO_TOPIC, {}, session)
    counts = await table_counts(db)
    for _plugin, rows in contributed:
        counts.update(rows or {})
    return counts


async def table_counts(db: Database) -> dict[str, int]:
    tables = {
        "organisations": m.Organisation,
        "programmes": m.Programme,
        "hubs": m.Hub,
        "projects": m.Project,
        "sessions": m.Session,
        "stakeholders": m.Stakeholder,
        "participants": m.Participant,
        "enrolments": m.Enrolment,
        "assessments": m.OutcomeAssessment,
        "trainings": m.TrainingDelivery,
    }
    async with db.sessions() as session:
        return {
            name: int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
            for name, model in tables.items()
        }


class _Loader:
    def __init__(self, session: AsyncSession, progress: Progress) -> None:
        self.session = session
        self.progress = progress
        self.orgs: dict[str, int] = {}
        self.programmes: dict[str, int] = {}
        self.hubs: dict[str, int] = {}
        self.projects: dict[str, int] = {}

    async def _existing(self, *columns: Any) -> dict[Any, int]:
        """Natural key -> id of the rows already there."""
        table = columns[0].table
        rows = await self.session.execute(sa.select(table.c.id, *columns))
        return {(row[1:] if len(columns) > 1 else row[1]): row[0] for row in rows}

    async def _get_or_create(
        self, existing: dict[Any, int], key: Any, kind: str, data: dict[str, Any]
    ) -> int:
        if key not in existing:
            existing[key] = (await services.create(self.session, kind, data)).id
        return existing[key]

    async def run(self) -> None:
        await self._organisations()
        await self._programmes()
        await self._hubs()
        await self._projects()
        await self._stakeholders()
        await self._trainings()
        await self._sessions()
        await self._participants()

    async def _organisations(self) -> None:
        by_name = await self._existing(m.Organisation.name)
        for org in d.ORGANISATIONS:
            data = {
                "name": org.name,
                "kind": org.kind,
                "local_authority": org.local_authority,
                "postcode": org.postcode,
                "ods_code": org.ods_code,
                "website": org.website,
            }
            self.orgs[org.key] = await self._get_or_create(by_name, org.name, "organisation", data)
            self.progress("organisations", 1)

    async def _programmes(self) -> None:
        by_code = await self._existing(m.Programme.code)
        for prog in d.PROGRAMMES:
            data = {
                "code": prog.code,
                "name": prog.name,
                "arm": prog.arm,
                "description": prog.description,
            }
            self.programmes[prog.code] = await self._get_or_create(
                by_code, prog.code, "programme", data
            )
            self.progress("programmes", 1)

    async def _hubs(self) -> None:
        by_code = await self._existing(m.Hub.code)
        for hub in d.HUBS:
            data = {
                "code": hub.code,
                "name": hub.name,
                "venue": hub.venue,
                "area": hub.area,
                "local_authority": hub.local_authority,
                "schedule": hub.schedule,
                "host_organisation_id": self.orgs[hub.host],
                "programme_id": self.programmes[hub.programme] if hub.programme else None,
                "status": hub.status,
                "started_on": hub.started_on,
                "partner_ids": tuple(self.orgs[k] for k in hub.partners),
                "cohort_codes": hub.cohorts,
                "catchment": d.CATCHMENTS.get(hub.code, ()),
            }
            self.hubs[hub.code] = await self._get_or_create(by_code, hub.code, "hub", data)
            self.progress("hubs", 1)

    async def _projects(self) -> None:
        by_code = await self._existing(m.Project.code)
        for proj in d.PROJECTS:
            data = {
                "code": proj.code,
                "name": proj.name,
                "programme_id": self.programmes[proj.programme],
                "area": proj.area,
                "local_authority": proj.local_authority,
                "lead_organisation_id": self.orgs[proj.lead] if proj.lead else None,
                "start_date": proj.start_date,
                "weeks": proj.weeks,
                "partner_ids": tuple(self.orgs[k] for k in proj.partners),
                "cohort_codes": proj.cohorts,
            }
            self.projects[proj.code] = await self._get_or_create(
                by_code, proj.code, "project", data
            )
            self.progress("projects", 1)

    async def _stakeholders(self) -> None:
        existing = await self._existing(m.Stakeholder.name, m.Stakeholder.kind_code)
        for person in d.STAKEHOLDERS:
            data = {
                "name": person.name,
                "kind_code": person.kind,
                "role": person.role,
                "organisation_id": self.orgs[person.organisation] if person.organisation else None,
            }
            await self._get_or_create(existing, (person.name, person.kind), "stakeholder", data)
            self.progress("stakeholders", 1)

    async def _trainings(self) -> None:
        existing = await self._existing(m.TrainingDelivery.title, m.TrainingDelivery.delivered_on)
        for course in d.TRAININGS:
            data = {
                "title": course.title,
                "delivered_on": course.delivered_on,
                "trainees": course.trainees,
                "programme_id": self.programmes[course.programme] if course.programme else None,
                "organisation_id": self.orgs[course.organisation] if course.organisation else None,
            }
            await self._get_or_create(
                existing, (course.title, course.delivered_on), "training", data
            )
            self.progress("trainings", 1)

    async def _sessions(self) -> None:
        existing = await self._existing(
            m.Session.hub_id, m.Session.project_id, m.Session.session_date, m.Session.venue
        )
        for s in d.session_plan():
            hub_id = self.hubs[s.parent_code] if s.parent_kind == "hub" else None
            project_id = self.projects[s.parent_code] if s.parent_kind == "project" else None
            data = {
                "hub_id": hub_id,
                "project_id": project_id,
                "session_date": s.date,
                "venue": s.venue,
                "facilitator": s.facilitator,
                "children_young_people": s.children_young_people,
                "older_people": s.older_people,
                "staff": s.staff,
                "volunteers": s.volunteers,
                "families": s.families,
            }
            await self._get_or_create(
                existing, (hub_id, project_id, s.date, s.venue), "session", data
            )
            self.progress("sessions", 1)

    async def _participants(self) -> None:
        by_ref = await self._existing(m.Participant.ref)
        enrolled = await self._existing(
            m.Enrolment.participant_id, m.Enrolment.hub_id, m.Enrolment.project_id
        )
        assessed = await self._existing(
            m.OutcomeAssessment.participant_id,
            m.OutcomeAssessment.measure,
            m.OutcomeAssessment.timepoint,
            m.OutcomeAssessment.assessed_on,
        )
        for p in d.participant_plan():
            pid = await self._get_or_create(
                by_ref,
                p.ref,
                "participant",
                {
                    "ref": p.ref,
                    "age_band": p.age_band,
                    "generation": p.generation,
                    "cohort_codes": p.cohorts,
                },
            )
            self.progress("participants", 1)
            hub_id = self.hubs[p.hub] if p.hub else None
            project_id = self.projects[p.project] if p.project else None
            await self._get_or_create(
                enrolled,
                (pid, hub_id, project_id),
                "enrolment",
                {
                    "participant_id": pid,
                    "hub_id": hub_id,
                    "project_id": project_id,
                    "enrolled_on": p.enrolled_on,
                },
            )
            self.progress("enrolments", 1)
            for a in p.assessments:
                await self._get_or_create(
                    assessed,
                    (pid, a.measure, a.timepoint, a.assessed_on),
                    "assessment",
                    {
                        "participant_id": pid,
                        "measure": a.measure,
                        "timepoint": a.timepoint,
                        "assessed_on": a.assessed_on,
                        "items": a.items,
                        "hub_id": hub_id,
                        "project_id": project_id,
                    },
                )
                self.progress("assessments", 1)

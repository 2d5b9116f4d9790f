"""Small, readable builders for test data, written through the same services partners use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import services


async def organisation(session: AsyncSession, **overrides: Any) -> Any:
    data = {"name": "Catherine Lodge Care Home", "kind": "care_home", "local_authority": "Enfield"}
    return await services.create(session, "organisation", {**data, **overrides})


async def programme(session: AsyncSession, **overrides: Any) -> Any:
    data = {"code": "together-with-music", "name": "Together with Music", "arm": "community"}
    return await services.create(session, "programme", {**data, **overrides})


async def hub(session: AsyncSession, host_id: int, **overrides: Any) -> Any:
    data = {
        "code": "enfield",
        "name": "Enfield Hub",
        "venue": "Catherine Lodge Care Home",
        "area": "London",
        "local_authority": "Enfield",
        "schedule": "Weekly, Wednesdays 14:00–15:00",
        "host_organisation_id": host_id,
        "cohort_codes": ("older_people", "cyp"),
        "started_on": dt.date(2023, 9, 6),
    }
    return await services.create(session, "hub", {**data, **overrides})


async def project(session: AsyncSession, programme_id: int, **overrides: Any) -> Any:
    data = {
        "code": "high-wycombe",
        "name": "Music & Movement: High Wycombe",
        "programme_id": programme_id,
        "area": "High Wycombe",
        "start_date": dt.date(2023, 10, 2),
        "weeks": 8,
    }
    return await services.create(session, "project", {**data, **overrides})


async def session_at(session: AsyncSession, hub_id: int, day: dt.date, **counts: int) -> Any:
    return await services.create(
        session, "session", {"hub_id": hub_id, "session_date": day, **counts}
    )


async def participant(session: AsyncSession, ref: str = "P-000001", **overrides: Any) -> Any:
    data = {"ref": ref, "generation": "older_person", "age_band": "75-84"}
    return await services.create(session, "participant", {**data, **overrides})


async def assessment(
    session: AsyncSession, participant_id: int, items: list[int], **overrides: Any
) -> Any:
    data = {
        "participant_id": participant_id,
        "measure": "who5",
        "timepoint": "pre",
        "assessed_on": dt.date(2023, 10, 2),
        "items": items,
    }
    return await services.create(session, "assessment", {**data, **overrides})

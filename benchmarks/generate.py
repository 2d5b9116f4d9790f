"""Reproducible benchmark data: organisations, hubs, sessions and cohort links at scale.

    python -m benchmarks.generate --url postgresql+asyncpg://postgres@127.0.0.1/imm_bench \
        --organisations 1000 --hubs 5000 --sessions 100000

The same seed gives the same rows. The database is migrated first; existing rows are removed.

Besides organisations, hubs, hub cohorts and sessions (drawn from the seeded generator, in that
order), it adds programmes that hubs run under, participants and their hub enrolments, and
ODS codes for GP practices, so that `impact(filter: {programme})` and an ODS-code lookup have
data (benchmarks/side_by_side.sh, W1 and W4). Those additions use a second generator of their
own and no randomness at all for the ODS codes and hub programmes, so the original rows are
what they were before the additions for the same seed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
from typing import Any

import sqlalchemy as sa
from rich.progress import Progress

from imm_graph import models as m
from imm_graph.db import create_engine, utcnow
from imm_graph.migrate import upgrade
from imm_graph.reference import (
    CLINICAL_COHORTS,
    AgeBand,
    Generation,
    OrganisationKind,
    ProgrammeArm,
)

CHUNK = 5000
KINDS = [k.value for k in OrganisationKind]
AREAS = [
    "Enfield",
    "Hackney",
    "Haringey",
    "Islington",
    "Newham",
    "Southwark",
    "Lambeth",
    "Tower Hamlets",
    "Hounslow",
    "Woking",
    "Guildford",
    "Manchester",
    "High Wycombe",
]


PROGRAMMES = [
    ("together-with-music", "Together with Music", ProgrammeArm.COMMUNITY),
    ("harmony-generations", "Harmony Generations", ProgrammeArm.COMMUNITY),
    ("music-therapy", "Music Therapy", ProgrammeArm.MUSIC_THERAPY),
    ("training", "Training", ProgrammeArm.TRAINING),
]


def ods_code(org_id: int, kind: str) -> str | None:
    """A GP practice's ODS code (a letter and five digits, unique by id); others have none."""
    return f"Y{org_id:05d}" if kind == OrganisationKind.GP_PRACTICE.value else None


def hub_programme(hub_id: int, programmes: int) -> int | None:
    """Hubs take the programmes in turn, with every (programmes + 1)-th hub under none."""
    turn = (hub_id - 1) % (programmes + 1)
    return None if turn == programmes else turn + 1


async def generate(
    url: str,
    organisations: int,
    hubs: int,
    sessions: int,
    seed: int,
    programmes: int = len(PROGRAMMES),
    participants: int | None = None,
) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    await upgrade(engine)
    now = utcnow()
    async with engine.begin() as conn:
        for table in (
            m.OutcomeAssessment,
            m.Enrolment,
            m.participant_cohorts,
            m.Participant,
            m.Session,
            m.hub_cohorts,
            m.hub_partners,
            m.Hub,
            m.Programme,
            m.Organisation,
        ):
            await conn.execute(sa.delete(getattr(table, "__table__", table)))
    org_rows = [
        {
            "id": i + 1,
            "name": f"Organisation {i + 1:05d}",
            "kind": rng.choice(KINDS),
            "local_authority": rng.choice(AREAS),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(organisations)
    ]
    for row in org_rows:
        row["ods_code"] = ods_code(row["id"], row["kind"])
    hub_rows = [
        {
            "id": i + 1,
            "code": f"hub-{i + 1:06d}",
            "name": f"Hub {i + 1:06d}",
            "venue": "Venue",
            "area": rng.choice(AREAS),
            "host_organisation_id": i % organisations + 1,
            "status": "active",
            "programme_id": hub_programme(i + 1, programmes),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(hubs)
    ]
    cohort_codes = [c.code for c in CLINICAL_COHORTS]
    link_rows = [
        {"hub_id": h + 1, "cohort_code": code}
        for h in range(hubs)
        for code in rng.sample(cohort_codes, rng.randint(1, 4))
    ]
    start = dt.date(2022, 1, 3)
    session_rows = [
        {
            "id": i + 1,
            "hub_id": i % hubs + 1,
            "session_date": start + dt.timedelta(days=i // hubs * 7),
            "venue": "Venue",
            "facilitator": "IMM facilitator",
            "children_young_people": rng.randint(5, 30),
            "older_people": rng.randint(5, 30),
            "staff": rng.randint(1, 4),
            "volunteers": rng.randint(0, 3),
            "families": rng.randint(0, 6),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(sessions)
    ]
    # The additions: their own generator, so the rows above stay as they were for the seed.
    extra = random.Random(f"{seed}:programmes")
    programme_rows = [
        {
            "id": i + 1,
            "code": code,
            "name": name,
            "arm": arm.value,
            "created_at": now,
            "updated_at": now,
        }
        for i, (code, name, arm) in enumerate(PROGRAMMES[:programmes])
    ]
    participant_rows = []
    enrolment_rows = []
    generations = [g.value for g in Generation]
    bands = [b.value for b in AgeBand]
    enrolled_from = dt.date(2021, 9, 1)
    for i in range(hubs * 4 if participants is None else participants):
        participant_rows.append(
            {
                "id": i + 1,
                "ref": f"P-{i + 1:06d}",
                "generation": extra.choice(generations),
                "age_band": extra.choice(bands),
                "created_at": now,
                "updated_at": now,
            }
        )
        for _ in range(extra.choice((1, 1, 1, 2))):
            enrolled = enrolled_from + dt.timedelta(days=extra.randrange(730))
            left = enrolled + dt.timedelta(days=extra.randrange(30, 400))
            enrolment_rows.append(
                {
                    "id": len(enrolment_rows) + 1,
                    "participant_id": i + 1,
                    "hub_id": extra.randrange(hubs) + 1,
                    "enrolled_on": enrolled,
                    "left_on": left if extra.random() < 0.5 else None,
                }
            )
    plan: list[tuple[str, Any, list[dict[str, Any]]]] = [
        ("organisations", m.Organisation.__table__, org_rows),
        ("programmes", m.Programme.__table__, programme_rows),
        ("hubs", m.Hub.__table__, hub_rows),
        ("hub cohorts", m.hub_cohorts, link_rows),
        ("sessions", m.Session.__table__, session_rows),
        ("participants", m.Participant.__table__, participant_rows),
        ("enrolments", m.Enrolment.__table__, enrolment_rows),
    ]
    with Progress() as progress:
        for label, table, rows in plan:
            task = progress.add_task(label, total=len(rows))
            for offset in range(0, len(rows), CHUNK):
                async with engine.begin() as conn:
                    await conn.execute(sa.insert(table), rows[offset : offset + CHUNK])
                progress.advance(task, min(CHUNK, len(rows) - offset))
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in (
                "organisations",
                "programmes",
                "hubs",
                "sessions",
                "participants",
                "enrolments",
            ):
                await conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await conn.execute(sa.text("ANALYZE"))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--hubs", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--programmes", type=int, default=len(PROGRAMMES), choices=range(len(PROGRAMMES) + 1)
    )
    parser.add_argument(
        "--participants", type=int, default=None, help="default: 4 per hub (1-2 enrolments each)"
    )
    a = parser.parse_args()
    asyncio.run(
        generate(a.url, a.organisations, a.hubs, a.sessions, a.seed, a.programmes, a.participants)
    )


if __name__ == "__main__":
    main()

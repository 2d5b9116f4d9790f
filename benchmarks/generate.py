"""Reproducible benchmark data: organisations, hubs, sessions and cohort links at scale.

    python -m benchmarks.generate --url postgresql+asyncpg://postgres@127.0.0.1/imm_bench \
        --organisations 1000 --hubs 5000 --sessions 100000

The same seed gives the same rows. The database is migrated first; existing rows are removed.
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
from imm_graph.reference import CLINICAL_COHORTS, OrganisationKind

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


async def generate(url: str, organisations: int, hubs: int, sessions: int, seed: int) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    await upgrade(engine)
    now = utcnow()
    async with engine.begin() as conn:
        for table in (m.Session, m.hub_cohorts, m.hub_partners, m.Hub, m.Organisation):
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
    hub_rows = [
        {
            "id": i + 1,
            "code": f"hub-{i + 1:06d}",
            "name": f"Hub {i + 1:06d}",
            "venue": "Venue",
            "area": rng.choice(AREAS),
            "host_organisation_id": i % organisations + 1,
            "status": "active",
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
    plan: list[tuple[str, Any, list[dict[str, Any]]]] = [
        ("organisations", m.Organisation.__table__, org_rows),
        ("hubs", m.Hub.__table__, hub_rows),
        ("hub cohorts", m.hub_cohorts, link_rows),
        ("sessions", m.Session.__table__, session_rows),
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
            for table in ("organisations", "hubs", "sessions"):
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
    a = parser.parse_args()
    asyncio.run(generate(a.url, a.organisations, a.hubs, a.sessions, a.seed))


if __name__ == "__main__":
    main()

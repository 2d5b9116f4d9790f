"""Time an NHS quarterly return over the benchmark data (benchmarks/generate.py).

    python -m benchmarks.nhs_reporting --url postgresql+asyncpg://postgres@127.0.0.1/imm_bench

Generates "FY2021/22 Q4" (the generated sessions start on 2022-01-03) for a commissioner of all
of IMM's work and for one of 500 hubs, three times each, and prints the best and worst time of
computing the figures and of rendering CSV + XLSX + JSON. Nothing is kept: each run is rolled
back.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import sqlalchemy as sa

from imm_graph.plugin_api import Database, models
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.periods import parse_period


class _Rollback(Exception):
    pass


async def run(url: str, repeat: int) -> None:
    db = Database(url)
    period = parse_period("FY2021/22 Q4")
    async with db.sessions() as session:
        counts = {name: await session.scalar(sa.select(sa.func.count()).select_from(model))
                  for name, model in (("hubs", models.Hub), ("sessions", models.Session),
                                      ("participants", models.Participant),
                                      ("enrolments", models.Enrolment))}
        hub_codes = list((await session.scalars(
            sa.select(models.Hub.code).order_by(models.Hub.id).limit(500))).all())
    print("data:", counts)
    for label, hubs in (("all of IMM's work", None), ("500 hubs", hub_codes)):
        compute_times, render_times, cells = [], [], 0
        for _ in range(repeat):
            try:
                async with db.transaction() as session:
                    owner = await returns.define_commissioner(
                        session, ods_code="QBENCH", kind="icb", name="Benchmark ICB",
                        hub_codes=hubs)
                    t0 = time.perf_counter()
                    ret = await returns.generate(session, owner, period, by="bench",
                                                 within_days=14)
                    t1 = time.perf_counter()
                    for fmt in ("csv", "xlsx", "json"):
                        returns.files(ret, owner, fmt)
                    t2 = time.perf_counter()
                    compute_times.append(t1 - t0)
                    render_times.append(t2 - t1)
                    cells = len(ret.figures["cells"])
                    raise _Rollback
            except _Rollback:
                pass
        print(f"{label}: {cells} cells; figures {min(compute_times):.3f}-"
              f"{max(compute_times):.3f} s; CSV+XLSX+JSON {min(render_times):.3f}-"
              f"{max(render_times):.3f} s")
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.repeat))


if __name__ == "__main__":
    main()

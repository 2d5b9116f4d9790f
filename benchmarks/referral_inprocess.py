"""Per-referral cost of the intake inside the process: SQL statements, CPU and wall time.

    .venv/bin/python -m benchmarks.referral_inprocess \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/imm_bench_sp_inproc [--profile]

A guide while optimising the referral webhook (the HTTP figure is `benchmarks.referral_intake`).
It (re)creates the database, registers two platforms with callbacks (so every referral also
queues its status update), then sends ``--count`` new native referrals and ``--count`` new FHIR
bundles (each a new person: the most expensive path) to the ASGI app directly,
``--concurrency`` at a time (so they share transactions as under load): no network, no HTTP
client. It prints, per format, SQL statements per referral (counted on the
engine), the process's CPU time per referral (Python only: PostgreSQL's own CPU is another
process) and wall time. ``--profile`` adds a pyinstrument profile of each format
(``.venv/bin/pip install pyinstrument``).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import sqlalchemy as sa

from benchmarks.inprocess import call as asgi_post
from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database, create_engine
from imm_graph.migrate import upgrade
from imm_graph.pluginhost.signing import signature_headers
from plugins.social_prescribing import platforms
from plugins.social_prescribing.demo import test_nhs_number

EXAMPLES = Path(__file__).resolve().parents[1] / "plugins" / "social_prescribing" / "examples"
SECRET = "whsec_YmVuY2htYXJrLXBsYXRmb3JtLXNlY3JldC0xMjM0NTY="
PATH = "/plugins/social_prescribing/referrals"


async def fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")),
                          isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    db = Database(url)
    async with db.transaction() as session:
        await platforms.add(session, "bench-native", secret=SECRET,
                            callback_url="https://platform.example/imm/status")
        await platforms.add(session, "bench-fhir", secret=SECRET, format="fhir",
                            callback_url="https://platform.example/fhir/status")
    await db.dispose()


def native_body(n: int, person: int | None = None) -> bytes:
    """Referral ``NATIVE-n`` about test person ``person`` (a serial of `test_nhs_number`; even,
    so people are distinct; by default ``2n``)."""
    document = orjson.loads((EXAMPLES / "referral-native.json").read_bytes())
    document["referralId"] = f"NATIVE-{n}"
    document["patient"]["nhsNumber"] = test_nhs_number(2 * n if person is None else person)
    return orjson.dumps(document)


BUNDLE = orjson.loads((EXAMPLES / "referral-bundle.json").read_bytes())


def fhir_body(n: int, person: int | None = None) -> bytes:
    """Bundle ``FHIR-n`` about test person ``person`` (by default ``2n + 400,000``: not the
    native referrals' people)."""
    document = copy.deepcopy(BUNDLE)
    for entry in document["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "ServiceRequest":
            resource["identifier"][0]["value"] = f"FHIR-{n}"
        elif resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] = test_nhs_number(
                2 * n + 400_000 if person is None else person)
    return orjson.dumps(document)


async def call(app: Any, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    return await asgi_post(app, body, [(k.lower().encode(), v.encode())
                                       for k, v in headers.items()], PATH)


def signed(body: bytes, n: int, fmt: str) -> dict[str, str]:
    return {**signature_headers(SECRET, f"msg_{fmt}_{n}", int(time.time()), body),
            "content-type": "application/fhir+json" if fmt == "fhir" else "application/json",
            "x-imm-platform": f"bench-{fmt}"}


async def run(url: str, count: int, profile: bool, concurrency: int) -> None:
    await fresh_database(url)
    app = create_app(Settings(database_url=url, environment="test", log_level="WARNING"))
    async with app.router.lifespan_context(app):
        statements = [0]

        def counted(*_: Any) -> None:
            statements[0] += 1

        sa.event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", counted)
        for fmt, make in (("native", native_body), ("fhir", fhir_body)):
            for n in range(20):  # warm-up: caches, prepared statements, pool
                status, answer = await call(app, make(100_000 + n), signed(
                    make(100_000 + n), 100_000 + n, fmt))
                assert status == 201, answer
            work = [(make(n), n) for n in range(count)]
            requests = [(body, signed(body, n, fmt)) for body, n in work]
            profiler = None
            if profile:
                from pyinstrument import Profiler
                profiler = Profiler(async_mode="enabled")
                profiler.start()
            statements[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for start in range(0, count, concurrency):
                group = requests[start:start + concurrency]
                for status, answer in await asyncio.gather(
                        *(call(app, body, headers) for body, headers in group)):
                    assert status == 201, (status, answer)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            print(f"{fmt:6}: {statements[0] / count:.1f} SQL statements, "
                  f"{cpu / count * 1000:.2f} ms CPU, {wall / count * 1000:.2f} ms wall "
                  f"per referral ({count} referrals, {concurrency} at a time)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/"
                        "imm_bench_sp_inproc")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight together (1: one at a time, no group commit)")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.count, args.profile, args.concurrency))


if __name__ == "__main__":
    main()

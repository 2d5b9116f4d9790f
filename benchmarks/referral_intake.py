"""Referral intake throughput: signed webhooks → durable referral + status update queued.

    IMM_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/imm_bench_sp \
        .venv/bin/python -m benchmarks.referral_intake --setup
    .venv/bin/uvicorn --factory imm_graph.app:create_app --port 8790 --workers 2 \
        --log-level warning --no-access-log &
    .venv/bin/python -m benchmarks.referral_intake --url http://127.0.0.1:8790 --count 4000

``--setup`` migrates the database and registers a platform with a callback URL (so every
referral also queues its status update). The load step pre-signs ``--count`` distinct native
referrals (distinct webhook-ids, referral ids and NHS numbers: each one is a new person, the
most expensive path), then sends them from ``--clients`` concurrent keep-alive connections and
reports referrals stored per second. The client runs on the same 2 cores as the server, so
the figure is a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import orjson

from imm_graph.config import Settings
from imm_graph.db import Database, create_engine
from imm_graph.migrate import upgrade
from imm_graph.pluginhost.signing import signature_headers
from plugins.social_prescribing import platforms
from plugins.social_prescribing.demo import test_nhs_number

SECRET = "whsec_YmVuY2htYXJrLXBsYXRmb3JtLXNlY3JldC0xMjM0NTY="
PLATFORM = "benchmark-platform"


async def setup() -> None:
    url = Settings().database_url
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    db = Database(url)
    async with db.transaction() as session:
        try:
            await platforms.by_name(session, PLATFORM)
        except Exception:
            await platforms.add(session, PLATFORM, secret=SECRET,
                                callback_url="https://platform.example/imm/status")
    await db.dispose()


def referral(n: int, run: str) -> bytes:
    return orjson.dumps({
        "referralId": f"BENCH-{run}-{n}", "action": "new", "authoredOn": "2025-03-03",
        "patient": {"nhsNumber": test_nhs_number(n * 3 + int(run[-3:], 16)),
                    "birthDate": "1945-01-01", "postcode": "TW3 1HN"},
        "cohorts": ["older_people"], "referrer": {"odsCode": "E85025"},
        "consent": {"status": "active"},
    })


async def load(url: str, count: int, clients: int) -> None:
    run = f"{int(time.time()):x}"
    now = int(time.time())
    bodies = [referral(n, run) for n in range(count)]
    requests = [(b, {**signature_headers(SECRET, f"msg_{run}_{i}", now, b),
                     "content-type": "application/json", "x-imm-platform": PLATFORM})
                for i, b in enumerate(bodies)]
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    statuses: dict[int, int] = {}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while not queue.empty():
                body, headers = queue.get_nowait()
                answer = await http.post("/plugins/social_prescribing/referrals",
                                         content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    print(f"{count} referrals in {elapsed:.2f} s: {count / elapsed:.0f} referrals/s "
          f"({clients} clients); statuses {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--url", default="http://127.0.0.1:8790")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(setup() if args.setup else load(args.url, args.count, args.clients))


if __name__ == "__main__":
    main()

"""Referral intake throughput over HTTP: signed webhooks → durable referral + status update queued.

    .venv/bin/python -m benchmarks.referral_intake \
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/imm_bench_sp --count 3000

For 1 and then 2 uvicorn workers it (re)creates the database, registers two platforms with
callback URLs (so every referral also queues its status update), starts
``uvicorn --factory imm_graph.app:create_app --workers N`` on ``--port``, sends ``--count``
new native referrals and then ``--count`` new FHIR bundles (distinct webhook-ids, referral ids
and NHS numbers: each one a new person, the most expensive path) from ``--clients`` concurrent
keep-alive connections, stops the server and prints a Markdown table of referrals stored per
second. The client is Python on the same 2 cores as the server and PostgreSQL, so the figures
are a floor. ``--url`` measures an already running server instead (one row per format).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import orjson

from benchmarks.referral_inprocess import SECRET, fhir_body, fresh_database, native_body
from imm_graph.pluginhost.signing import signature_headers

PATH = "/plugins/social_prescribing/referrals"


def requests_for(fmt: str, count: int, run: str) -> list[tuple[bytes, dict[str, str]]]:
    now = int(time.time())
    offset = int(run, 16) % 50_000 * 4  # distinct people between runs on one database
    make = native_body if fmt == "native" else fhir_body
    out = []
    for i in range(count):
        body = make(offset + i)
        out.append((body, {
            **signature_headers(SECRET, f"msg_{fmt}_{run}_{i}", now, body),
            "content-type": "application/fhir+json" if fmt == "fhir" else "application/json",
            "x-imm-platform": f"bench-{fmt}",
        }))
    return out


async def load(url: str, fmt: str, count: int, clients: int) -> tuple[float, dict[int, int]]:
    """Send the referrals; returns (referrals stored per second, answers by status)."""
    run = f"{time.time_ns() // 1000:x}"[-6:]
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests_for(fmt, count, run):
        queue.put_nowait(item)
    statuses: dict[int, int] = {}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while not queue.empty():
                body, headers = queue.get_nowait()
                answer = await http.post(PATH, content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return statuses.get(201, 0) / elapsed, statuses


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        for _ in range(300):
            try:
                await http.get("/health")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise RuntimeError("the server did not start")


def serve(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IMM_DATABASE_URL": db}
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "uvicorn"), "--factory",
         "imm_graph.app:create_app", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


async def measure(db: str, port: int, count: int, clients: int) -> list[tuple[str, int, float,
                                                                               dict[int, int]]]:
    rows = []
    for workers in (1, 2):
        await fresh_database(db)
        server = serve(db, port, workers)
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_up(url)
            for fmt in ("native", "fhir"):
                await load(url, fmt, 100, clients)  # warm-up: imports, pools, caches
                rate, statuses = await load(url, fmt, count, clients)
                rows.append((fmt, workers, rate, statuses))
                print(f"{fmt} x{workers} workers: {rate:.0f} referrals/s {statuses}",
                      file=sys.stderr)
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the server this run started, only
            server.wait(30)
    return rows


def table(rows: list[tuple[str, int, float, dict[int, int]]], count: int, clients: int) -> str:
    lines = ["| format | uvicorn workers | referrals/s | answers |", "|---|---:|---:|---|"]
    for fmt, workers, rate, statuses in rows:
        lines.append(f"| {fmt} | {workers} | {rate:.0f} | "
                     f"{', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |")
    load1, load5, _ = os.getloadavg()
    lines.append("")
    lines.append(f"{count} new referrals per row, {clients} keep-alive clients, "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                 f"load average {load1:.1f} / {load5:.1f} (1 / 5 min), {os.cpu_count()} CPUs.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgresql+asyncpg://postgres@127.0.0.1:5432/"
                        "imm_bench_sp")
    parser.add_argument("--url", help="an already running server (its database set up with "
                        "benchmarks.referral_inprocess's platforms)")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    if args.url:
        for fmt in ("native", "fhir"):
            rate, statuses = asyncio.run(load(args.url, fmt, args.count, args.clients))
            print(f"{fmt}: {rate:.0f} referrals/s {orjson.dumps(statuses).decode()}")
        return
    rows = asyncio.run(measure(args.db, args.port, args.count, args.clients))
    print(table(rows, args.count, args.clients))


if __name__ == "__main__":
    main()

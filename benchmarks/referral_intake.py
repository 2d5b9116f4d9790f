"""Referral intake throughput over HTTP: signed webhooks → durable referral + status update queued.

    .venv/bin/python -m benchmarks.referral_intake \
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/imm_bench_sp [--seconds 10]

For 1 and then 2 uvicorn workers it (re)creates the database, registers two platforms with
callback URLs (so every referral also queues its status update), starts
``uvicorn --factory imm_graph.app:create_app --workers N`` on ``--port``, and for each format
(native JSON, then FHIR bundles) signs more new referrals than the run can take (distinct
webhook-ids, referral ids and NHS numbers: each one a new person, the most expensive path)
and sends them with wrk (2 threads, ``--seconds`` long, a row for each of ``--connections``
keep-alive connection counts; wrk is installed from apt when missing). More requests in
flight make bigger shared transactions, so a moderate and a burst-sized load are both shown.
Referrals/s is what the database holds at the end (referrals, and as many status updates
queued) over wrk's duration, so a refused or lost request counts for nothing.
``GROUP_COMMIT=false`` in the environment measures the one-transaction-per-request path
instead (``IMM_PLUGIN_SOCIAL_PRESCRIBING_GROUP_COMMIT``). wrk, the servers and PostgreSQL
share the machine's cores, so the figures are a floor. ``--client python`` sends ``--count``
requests with httpx instead (slower: the client then costs as much CPU as the server).

Each row first sends ``--history`` seconds of other referrals (10: a deployment that has been
running for a while) and then analyses the database, as autovacuum keeps a running
deployment's tables. Without either the run measures a brand-new database's first minute:
PostgreSQL caches the plans it made for near-empty tables (a sequential scan is then the
cheapest look-up) and keeps them while the tables grow, until autovacuum's first ANALYZE
(``--history 0 --no-analyze`` shows that case). ``--workers 2 --formats
native`` narrow a run; every row reports the server's and PostgreSQL's CPU per referral, read
from ``/proc`` around the run, which is steadier than the rate on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import sqlalchemy as sa

from benchmarks.referral_inprocess import SECRET, fhir_body, fresh_database, native_body
from imm_graph.db import create_engine
from imm_graph.pluginhost.signing import signature_headers
from plugins.social_prescribing.demo import TEST_SERIALS

PATH = "/plugins/social_prescribing/referrals"
LUA = Path(__file__).resolve().parent / "wrk" / "referrals.lua"
CONTENT_TYPES = {"native": "application/json", "fhir": "application/fhir+json"}
WARM = 200  # warm-up referrals per format (sent again before each row: replays after the first)


@dataclass(frozen=True)
class Block:
    """Which referrals (and so which people: referral n is about test person 2n) a row sends."""

    fmt: str
    connections: int
    history_first: int  # the history's referrals, then the run's, ``budget`` each
    run_first: int
    warm_first: int  # the format's warm-up referrals, the same before each of its rows


def blocks(formats: list[str], connections: list[int], budget: int) -> list[Block]:
    """One block of new people per row, numbered across formats, then the warm-ups: no row
    sends a person another row (or the other format) has sent. Raises ValueError when the NHS
    test range (its even serials) cannot hold them all."""
    rows = [(fmt, c) for fmt in formats for c in connections]
    warm_base = 2 * len(rows) * budget
    needed = 2 * (warm_base + len(formats) * WARM)
    if needed > TEST_SERIALS:
        raise ValueError(f"{needed // 2} new people needed, and the NHS test range has "
                         f"{TEST_SERIALS // 2}: lower --budget or run fewer rows")
    return [Block(fmt, c, 2 * i * budget, (2 * i + 1) * budget,
                  warm_base + formats.index(fmt) * WARM)
            for i, (fmt, c) in enumerate(rows)]


def requests_for(fmt: str, count: int, run: str, first: int = 0
                 ) -> list[tuple[bytes, dict[str, str]]]:
    now = int(time.time())
    make = native_body if fmt == "native" else fhir_body
    out = []
    for i in range(first, first + count):
        body = make(i, person=2 * i)  # every n its own person, whatever the format
        out.append((body, {
            **signature_headers(SECRET, f"msg_{fmt}_{run}_{i}", now, body),
            "content-type": CONTENT_TYPES[fmt], "x-imm-platform": f"bench-{fmt}",
        }))
    return out


def write_requests(path: Path, requests: list[tuple[bytes, dict[str, str]]]) -> None:
    """The file benchmarks/wrk/referrals.lua reads: a header line, then the body, each."""
    with path.open("wb") as out:
        for body, h in requests:
            out.write("\t".join((h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"],
                                 h["content-type"], h["x-imm-platform"], str(len(body))))
                      .encode() + b"\n" + body)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt)", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                   stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


def run_wrk(url: str, requests_file: Path, seconds: int, connections: int) -> dict[str, str]:
    threads = 2
    done = subprocess.run(
        [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", str(LUA), url + PATH, "--", str(requests_file), str(threads)],
        check=True, capture_output=True, text=True)
    out = done.stdout
    found = {"errors": "0"}
    for name, pattern in (("p50", r"^\s+50%\s+(\S+)"), ("p99", r"^\s+99%\s+(\S+)"),
                          ("non2xx", r"Non-2xx or 3xx responses: (\d+)")):
        match = re.search(pattern, out, re.MULTILINE)
        if match:
            found[name] = match.group(1)
    match = re.search(r"Socket errors: (.*)", out)
    if match:
        found["errors"] = match.group(1)
    return found


def cpu_seconds(server_group: int) -> tuple[float, float]:
    """CPU seconds used so far by the server's processes (its process group) and by
    PostgreSQL's (every ``postgres`` process, with what its exited children used): read
    around a run, their difference per referral is steadier than a rate on a shared machine."""
    tick = os.sysconf("SC_CLK_TCK")
    server = database = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        used = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
        if int(fields[2]) == server_group:
            server += used
        elif name == "postgres":
            database += used
    return server, database


async def stored(db: str, platform: str, since: float) -> tuple[int, int]:
    """Referrals from ``platform`` received since ``since`` (a Unix time), and status updates
    queued since then, in one statement (one snapshot)."""
    engine = create_engine(db)
    at = dt.datetime.fromtimestamp(since, dt.UTC)
    async with engine.connect() as connection:
        made, queued = (await connection.execute(sa.text(
            "SELECT (SELECT count(*) FROM social_prescribing_referrals r "
            "        JOIN social_prescribing_platforms p ON p.id = r.platform_id "
            "        WHERE p.name = :platform AND r.received_at >= :at), "
            "       (SELECT count(*) FROM outbox_deliveries "
            "        WHERE plugin = 'social_prescribing' AND created_at >= :at)"
        ), {"platform": platform, "at": at})).one()
    await engine.dispose()
    return int(made), int(queued)


async def load_python(url: str, fmt: str, count: int, clients: int) -> tuple[float, dict[int, int]]:
    """The httpx client: referrals answered 201 per second, and answers by status."""
    run = f"{time.time_ns() // 1000:x}"[-6:]
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests_for(fmt, count, run, int(run, 16) % 50_000 * 4):
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
    # JSON log lines, as in production (the access log is written for every request).
    env = {"IMM_LOG_JSON": "true", **os.environ, "IMM_DATABASE_URL": db}
    if "GROUP_COMMIT" in os.environ:
        env["IMM_PLUGIN_SOCIAL_PRESCRIBING_GROUP_COMMIT"] = os.environ["GROUP_COMMIT"]
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "uvicorn"), "--factory",
         "imm_graph.app:create_app", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


Row = tuple[str, int, int, float, str]


async def analyze(db: str) -> None:
    """What autovacuum does to a running deployment's tables within a minute of their growth:
    current statistics, and the cached plans built on the old ones dropped."""
    engine = create_engine(db, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text("ANALYZE"))
    await engine.dispose()


async def measure_wrk(db: str, url: str, block: Block, seconds: int, workers: int, budget: int,
                      server_group: int, statistics: bool = True, history: int = 0) -> Row:
    """One row: warm-up, ``history`` seconds of other referrals, then the measured run."""
    fmt, connections, first = block.fmt, block.connections, block.run_first
    with tempfile.TemporaryDirectory() as folder:
        warm = Path(folder) / "warm"
        write_requests(warm, requests_for(fmt, WARM, "warm", block.warm_first))
        await asyncio.to_thread(run_wrk, url, warm, 1, 8)  # imports, pools, caches
        history_started = time.time()
        if history:  # the referrals of a deployment that has been running for a while
            write_requests(warm, requests_for(fmt, budget, f"history{first}",
                                              block.history_first))
            await asyncio.to_thread(run_wrk, url, warm, history, connections)
        # Counted, not assumed: refused requests would be no history at all.
        kept, _ = await stored(db, f"bench-{fmt}", history_started)
        if history and not kept:
            raise SystemExit(f"{fmt}: the server stored none of the history's referrals, so the "
                             "row would measure something else (are they refused?)")
        if statistics:
            await analyze(db)
        file = Path(folder) / "requests"
        # Each row its own people and webhook-ids: new referrals, never replays.
        write_requests(file, requests_for(fmt, budget, f"run{first}", first))
        started, clock = time.time(), time.perf_counter()
        cpu_before = cpu_seconds(server_group)
        wrk = await asyncio.to_thread(run_wrk, url, file, seconds, connections)
        cpu_after = cpu_seconds(server_group)
        elapsed = time.perf_counter() - clock
    made, queued = await stored(db, f"bench-{fmt}", started)
    rate = made / seconds
    server_ms, database_ms = (1000 * (after - before) / max(made, 1)
                              for before, after in zip(cpu_before, cpu_after, strict=True))
    note = (f"{made} stored after {kept} of history, {queued} updates queued, CPU per "
            f"referral {server_ms:.2f} ms server + {database_ms:.2f} ms PostgreSQL, "
            f"p50 {wrk.get('p50')}, p99 {wrk.get('p99')}, non-2xx {wrk.get('non2xx', 0)}, "
            f"socket errors {wrk['errors']}"
            f"{'' if made < budget else ' (ran out of requests: raise --budget)'}")
    print(f"{fmt} x{workers} workers, {connections} connections: {rate:.0f} referrals/s "
          f"({note}; {elapsed:.1f} s)", file=sys.stderr)
    return fmt, workers, connections, rate, note


async def measure(db: str, port: int, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for workers in args.workers:
        await fresh_database(db)
        server = serve(db, port, workers)
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_up(url)
            for block in blocks(args.formats, args.connections, args.budget):
                fmt, connections = block.fmt, block.connections
                if args.client == "wrk":
                    rows.append(await measure_wrk(
                        db, url, block, args.seconds, workers, args.budget, server.pid,
                        not args.no_analyze, args.history))
                    continue
                await load_python(url, fmt, 100, connections)  # warm-up
                rate, statuses = await load_python(url, fmt, args.count, connections)
                rows.append((fmt, workers, connections, rate, ", ".join(
                    f"{k}: {v}" for k, v in sorted(statuses.items()))))
                print(f"{fmt} x{workers} workers: {rate:.0f} referrals/s {statuses}",
                      file=sys.stderr)
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the server this run started, only
            server.wait(30)
    return rows


def table(rows: list[Row], args: argparse.Namespace) -> str:
    lines = ["| format | uvicorn workers | connections | referrals/s | what the run left |",
             "|---|---:|---:|---:|---|"]
    for fmt, workers, connections, rate, note in rows:
        lines.append(f"| {fmt} | {workers} | {connections} | {rate:.0f} | {note} |")
    load1, load5, _ = os.getloadavg()
    how = (f"wrk (2 threads), {args.seconds} s per row" if args.client == "wrk" else
           f"httpx, {args.count} referrals per row")
    commit = os.environ.get("GROUP_COMMIT", "true")
    statistics = ("none (a brand-new database)" if args.no_analyze
                  else "current (ANALYZE after the warm-up)")
    statistics += f", {args.history} s of earlier referrals before each row"
    lines.append("")
    lines.append(f"{how}, group commit {commit}, table statistics {statistics}, "
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                 f"load average {load1:.1f} / {load5:.1f} (1 / 5 min), {os.cpu_count()} CPUs.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgresql+asyncpg://postgres@127.0.0.1:5432/"
                        "imm_bench_sp")
    parser.add_argument("--url", help="an already running server (its database set up with "
                        "benchmarks.referral_inprocess's platforms); python client only")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=40_000,
                        help="signed referrals prepared per row (more than a run can take)")
    parser.add_argument("--count", type=int, default=3000, help="python client: per row")
    parser.add_argument("--connections", default="64,256",
                        help="concurrent keep-alive connections, a row for each (comma list)")
    parser.add_argument("--history", type=int, default=10,
                        help="seconds of referrals sent before each measured row (0: none)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="measure a brand-new database's first seconds, before autovacuum "
                        "has analysed its tables")
    parser.add_argument("--workers", default="1,2", help="uvicorn workers, a run for each")
    parser.add_argument("--formats", default="native,fhir", help="native, fhir or both")
    args = parser.parse_args()
    args.connections = [int(c) for c in str(args.connections).split(",")]
    args.workers = [int(w) for w in str(args.workers).split(",")]
    args.formats = str(args.formats).split(",")
    try:
        blocks(args.formats, args.connections, args.budget)
    except ValueError as too_many:
        parser.error(str(too_many))
    if args.url:
        for fmt in args.formats:
            rate, statuses = asyncio.run(load_python(args.url, fmt, args.count,
                                                     args.connections[0]))
            print(f"{fmt}: {rate:.0f} referrals/s {orjson.dumps(statuses).decode()}")
        return
    rows = asyncio.run(measure(args.db, args.port, args))
    print(table(rows, args))


if __name__ == "__main__":
    main()

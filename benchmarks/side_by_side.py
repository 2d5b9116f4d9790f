"""Side by side: the same GraphQL reads against PostGraphile 4 and imm_graph, loaded by wrk.

Run through `benchmarks/side_by_side.sh`, which installs what is missing, prepares the data and
starts the servers; this module checks the two answer alike, then times them:

1. resolves the workloads' parameters from the database (an ODS code, a programme, a year);
2. writes one JSON body file per workload and server;
3. sends each workload once to both servers and compares the data, normalised (row ids from
   imm_graph's global ids, enum spellings): any difference stops the run;
4. for each workload runs wrk against PostGraphile, imm_graph, PostGraphile, imm_graph … (ROUNDS
   each, a warm-up before every timed run), then the floor endpoints the same way;
5. prints a Markdown table of medians (and writes it, with every round, to benchmarks/results/).

Besides wrk's figures it records, for every run, the CPU time taken by the server's processes,
by all PostgreSQL processes on the machine and by wrk, and how the keep-alive connections were
spread over the server's processes (sampled mid-run from /proc/net/tcp and each process's file
descriptors).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks.load import QUERY as NESTED_QUERY
from imm_graph.ids import decode_id, encode_id

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk" / "post.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

PEER = "PostGraphile"
IMM = "imm_graph"


# --- workloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    organisation_id: int
    ods_code: str
    programme_id: int
    date_from: str
    date_to: str


@dataclass(frozen=True)
class Workload:
    code: str
    title: str
    queries: dict[str, str]  # server name -> GraphQL query
    normalise: dict[str, Callable[[Any], Any]]  # server name -> data -> comparable value
    check: Callable[[Any], str | None] = lambda value: None  # a reason the data is too thin


def _pk(global_id: str, type_name: str) -> int:
    found, key = decode_id(global_id)
    if found != type_name:
        raise ValueError(f"{global_id!r} is a {found} id, not a {type_name} id")
    return int(key)


ORG_FIELDS = "id name kind odsCode localAuthority"


def _org_imm(o: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _pk(o["id"], "Organisation"),
        o["name"],
        o["kind"].upper(),  # imm_graph: enum names (GP_PRACTICE); PostGraphile: the column text
        o["odsCode"],
        o["localAuthority"],
    )


def _org_peer(o: dict[str, Any]) -> tuple[Any, ...]:
    return (o["id"], o["name"], o["kind"].upper(), o["odsCode"], o["localAuthority"])


PEER_NESTED = """
{
  allOrganisations(first: 50, orderBy: [NAME_ASC, ID_ASC]) {
    nodes {
      id name
      hubsByHostOrganisationId(first: 20, orderBy: [NAME_ASC, ID_ASC]) {
        nodes {
          id name
          sessionsByHubId(first: 10, orderBy: [SESSION_DATE_DESC, ID_DESC]) {
            nodes {
              id sessionDate attendanceTotal
              hubByHubId {
                clinicalCohortsByHubCohortHubIdAndCohortCodeList(orderBy: [NAME_ASC]) { code name }
              }
            }
          }
        }
      }
    }
  }
}
"""


def _nested_imm(data: Any) -> Any:
    return [
        (
            _pk(o["id"], "Organisation"),
            o["name"],
            [
                (
                    _pk(h["id"], "Hub"),
                    h["name"],
                    [
                        (
                            _pk(s["id"], "Session"),
                            s["date"],
                            s["attendance"]["total"],
                            [(c["code"], c["name"]) for c in s["cohorts"]],
                        )
                        for s in h["sessions"]["nodes"]
                    ],
                )
                for h in o["hubs"]["nodes"]
            ],
        )
        for o in data["organisations"]["nodes"]
    ]


def _nested_peer(data: Any) -> Any:
    return [
        (
            o["id"],
            o["name"],
            [
                (
                    h["id"],
                    h["name"],
                    [
                        (
                            s["id"],
                            s["sessionDate"],
                            s["attendanceTotal"],
                            [
                                (c["code"], c["name"])
                                for c in s["hubByHubId"][
                                    "clinicalCohortsByHubCohortHubIdAndCohortCodeList"
                                ]
                            ],
                        )
                        for s in h["sessionsByHubId"]["nodes"]
                    ],
                )
                for h in o["hubsByHostOrganisationId"]["nodes"]
            ],
        )
        for o in data["allOrganisations"]["nodes"]
    ]


def _nested_check(value: Any) -> str | None:
    sessions = sum(len(h[2]) for o in value for h in o[2])
    cohorts = sum(len(s[3]) for o in value for h in o[2] for s in h[2])
    if not value or not sessions or not cohorts:
        return f"{len(value)} organisations, {sessions} sessions, {cohorts} cohorts"
    return None


def _impact_check(value: Any) -> str | None:
    return None if value[0] > 0 and value[1] > 0 and value[2] > 0 else f"figures {value}"


def workloads(p: Params) -> list[Workload]:
    org_id = encode_id("Organisation", p.organisation_id)
    programme = encode_id("Programme", p.programme_id)
    return [
        Workload(
            "W0",
            "`{ __typename }`",
            {PEER: "{ __typename }", IMM: "{ __typename }"},
            {PEER: lambda d: d, IMM: lambda d: d},
        ),
        Workload(
            "W1",
            f"one organisation by id ({p.organisation_id}): imm_graph `node(id:)`, "
            "PostGraphile `organisationById`",
            {
                PEER: f"{{ organisationById(id: {p.organisation_id}) {{ {ORG_FIELDS} }} }}",
                IMM: f'{{ node(id: "{org_id}") {{ ... on Organisation {{ {ORG_FIELDS} }} }} }}',
            },
            {
                PEER: lambda d: _org_peer(d["organisationById"]),
                IMM: lambda d: _org_imm(d["node"]),
            },
        ),
        Workload(
            "W1b",
            f"one organisation by ODS code ({p.ods_code}): imm_graph `organisations(filter: "
            "{odsCode})`, PostGraphile `allOrganisations(condition: {odsCode})`",
            {
                PEER: f'{{ allOrganisations(condition: {{odsCode: "{p.ods_code}"}}) '
                f"{{ nodes {{ {ORG_FIELDS} }} }} }}",
                IMM: f'{{ organisations(filter: {{odsCode: "{p.ods_code}"}}) '
                f"{{ nodes {{ {ORG_FIELDS} }} }} }}",
            },
            {
                PEER: lambda d: [_org_peer(o) for o in d["allOrganisations"]["nodes"]],
                IMM: lambda d: [_org_imm(o) for o in d["organisations"]["nodes"]],
            },
            lambda v: None if len(v) == 1 else f"{len(v)} organisations",
        ),
        Workload(
            "W2",
            "a page of 20 organisations by name, 5 columns",
            {
                PEER: "{ allOrganisations(first: 20, orderBy: [NAME_ASC, ID_ASC]) "
                f"{{ nodes {{ {ORG_FIELDS} }} }} }}",
                IMM: f"{{ organisations(first: 20) {{ nodes {{ {ORG_FIELDS} }} }} }}",
            },
            {
                PEER: lambda d: [_org_peer(o) for o in d["allOrganisations"]["nodes"]],
                IMM: lambda d: [_org_imm(o) for o in d["organisations"]["nodes"]],
            },
            lambda v: None if len(v) == 20 else f"{len(v)} organisations",
        ),
        Workload(
            "W3",
            "nested partner query (benchmarks/load.py): 50 organisations → hubs (20, by name) → "
            "sessions (10, latest first) → hub cohorts (by name)",
            {PEER: PEER_NESTED, IMM: NESTED_QUERY},
            {PEER: _nested_peer, IMM: _nested_imm},
            _nested_check,
        ),
        Workload(
            "W4",
            f"impact of programme {p.programme_id} from {p.date_from} to {p.date_to}: people "
            "engaged, sessions delivered, total attendance",
            {
                PEER: f'{{ impact(programme: {p.programme_id}, dateFrom: "{p.date_from}", '
                f'dateTo: "{p.date_to}") {{ peopleEngaged sessionsDelivered attendanceTotal }} }}',
                IMM: f'{{ impact(filter: {{programme: "{programme}", dateFrom: "{p.date_from}", '
                f'dateTo: "{p.date_to}"}}) {{ peopleEngaged sessionsDelivered '
                "attendance { total } } }",
            },
            {
                PEER: lambda d: (
                    d["impact"]["peopleEngaged"],
                    d["impact"]["sessionsDelivered"],
                    d["impact"]["attendanceTotal"],
                ),
                IMM: lambda d: (
                    d["impact"]["peopleEngaged"],
                    d["impact"]["sessionsDelivered"],
                    d["impact"]["attendance"]["total"],
                ),
            },
            _impact_check,
        ),
    ]


async def resolve_params(db_url: str) -> Params:
    conn = await asyncpg.connect(db_url)
    try:
        org = await conn.fetchval("SELECT min(id) FROM organisations")
        ods = await conn.fetchval(
            "SELECT ods_code FROM organisations WHERE ods_code IS NOT NULL ORDER BY id LIMIT 1"
        )
        programme = await conn.fetchval(
            "SELECT min(programme_id) FROM hubs WHERE programme_id IS NOT NULL"
        )
        first_session = await conn.fetchval("SELECT min(session_date) FROM sessions")
    finally:
        await conn.close()
    missing = [
        name
        for name, value in (
            ("an organisation", org),
            ("an organisation with an ODS code", ods),
            ("a hub with a programme", programme),
            ("a session", first_session),
        )
        if value is None
    ]
    if missing:
        raise SystemExit(
            f"the benchmark database has no {', no '.join(missing)}: regenerate it "
            "(REGENERATE=1 benchmarks/side_by_side.sh)"
        )
    year = first_session.year
    return Params(org, ods, programme, f"{year}-01-01", f"{year}-12-31")


# --- servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int
    port: int
    authorization: str = ""


def post(server: Server, query: str) -> tuple[Any, int]:
    headers = {"authorization": server.authorization} if server.authorization else {}
    response = httpx.post(server.url, json={"query": query}, headers=headers, timeout=120)
    try:
        body = response.json()
    except ValueError:
        raise SystemExit(
            f"{server.name} answered {response.status_code} with no JSON: {response.text[:300]}"
        ) from None
    if response.status_code != 200 or body.get("errors") or body.get("data") is None:
        raise SystemExit(
            f"{server.name} answered {response.status_code}: {json.dumps(body)[:1000]}\n"
            f"query: {query}"
        )
    return body["data"], len(response.content)


def first_difference(a: Any, b: Any, path: str = "data") -> str | None:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def check_equivalence(work: list[Workload], servers: dict[str, Server]) -> dict[str, dict]:
    """Each workload once on both servers: the same data, or the run stops here."""
    sizes: dict[str, dict[str, int]] = {}
    failures = []
    for w in work:
        values = {}
        sizes[w.code] = {}
        for name in (PEER, IMM):
            data, size = post(servers[name], w.queries[name])
            values[name] = w.normalise[name](data)
            sizes[w.code][name] = size
        diff = first_difference(values[PEER], values[IMM])
        thin = w.check(values[IMM])
        if diff:
            failures.append(f"{w.code}: {PEER} and {IMM} differ at {diff}")
        elif thin:
            failures.append(f"{w.code}: both answered, but with too little data ({thin})")
        else:
            shown = repr(values[IMM])
            print(
                f"  {w.code}: same data ({PEER} {sizes[w.code][PEER]:,} bytes, "
                f"{IMM} {sizes[w.code][IMM]:,} bytes)"
                + (f": {shown}" if len(shown) <= 100 else ""),
                file=sys.stderr,
            )
    if failures:
        print("EQUIVALENCE CHECK FAILED:", *failures, sep="\n  ", file=sys.stderr)
        raise SystemExit(1)
    return sizes


# --- processes, CPU and connections ---------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return [pid for pid in tree if pid in parents]


def postgres_pids() -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            out[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return out


def connections_by_process(port: int, pids: list[int]) -> dict[int, int]:
    """Established TCP connections to the server's port, by the process holding each socket."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "01" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    counts = {}
    for pid in pids:
        n = 0
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    n += 1
        except OSError:
            continue
        if n:
            counts[pid] = n
    return counts


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class Run:
    workload: str
    server: str
    round: int
    rps: float
    latency_ms: dict[str, float]
    requests: int
    errors: dict[str, int]
    cpu: dict[str, float]  # "server", "postgres", "wrk" -> share of one core
    worker_cpu: dict[int, float]
    connections: dict[int, int]


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(text: str) -> tuple[float, dict[str, float], int, dict[str, int]]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    if not rps or not total:
        raise SystemExit(f"could not read wrk's output:\n{text}")
    latency = {
        f"p{m[1]}": float(m[2]) * _UNITS[m[3]]
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    }
    errors = {}
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors["non-2xx"] = int(m[1])
    socket = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
    if m := re.search(socket, text):
        for label, value in zip(("connect", "read", "write", "timeout"), m.groups(), strict=True):
            if int(value):
                errors[label] = int(value)
    return float(rps[1]), latency, int(total[1]), errors


def wrk(
    server: Server,
    path: str,
    body: Path,
    seconds: int,
    threads: int,
    connections: int,
    measure: bool,
) -> tuple[str, dict[str, Any]]:
    env = {**os.environ, "WRK_AUTHORIZATION": server.authorization}
    url = server.url.rsplit("/", 1)[0] + path if path else server.url
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "30s", "-s", str(LUA), url, "--", str(body),
    ]  # fmt: skip
    extra: dict[str, Any] = {}
    if not measure:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        return "", extra
    tree = process_tree(server.pid)
    before_server, before_pg = cpu_seconds(tree), cpu_seconds(pg := postgres_pids())
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            # A busy single-threaded server may not have accepted every connection at any one
            # moment: sample at ¼, ½ and ¾ of the run and keep each process's most.
            spread: dict[int, int] = {}
            for _ in range(3):
                time.sleep(seconds / 4)
                for pid, n in connections_by_process(server.port, tree).items():
                    spread[pid] = max(spread.get(pid, 0), n)
            extra["connections"] = spread
            out, err = process.communicate()
        except BaseException:  # stopped (SIGTERM, ^C): wrk goes too
            process.kill()
            raise
    elapsed = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"wrk failed ({process.returncode}): {err or out}")
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_server, after_pg = cpu_seconds(tree), cpu_seconds(pg)
    worker = {p: (cpu - before_server.get(p, 0.0)) / elapsed for p, cpu in after_server.items()}
    extra["worker_cpu"] = {pid: share for pid, share in worker.items() if share > 0.005}
    extra["cpu"] = {
        "server": sum(worker.values()),
        "postgres": sum(after_pg[p] - before_pg.get(p, 0.0) for p in after_pg) / elapsed,
        "wrk": (
            after_children.ru_utime + after_children.ru_stime
            - before_children.ru_utime - before_children.ru_stime
        ) / elapsed,
    }  # fmt: skip
    return out, extra


# --- the run --------------------------------------------------------------------------------


@dataclass
class Plan:
    rounds: int
    seconds: int
    warmup: int
    threads: int
    connections: int
    runs: list[Run] = field(default_factory=list)


def measure(plan: Plan, label: str, server: Server, path: str, body: Path, round_: int) -> Run:
    if plan.warmup:
        wrk(server, path, body, plan.warmup, plan.threads, plan.connections, measure=False)
    out, extra = wrk(server, path, body, plan.seconds, plan.threads, plan.connections, True)
    rps, latency, requests, errors = parse_wrk(out)
    run = Run(
        label, server.name, round_, rps, latency, requests, errors,
        extra["cpu"], extra["worker_cpu"], extra["connections"],
    )  # fmt: skip
    plan.runs.append(run)
    spread = ", ".join(f"pid {pid}: {n}" for pid, n in sorted(run.connections.items()))
    print(
        f"  {label:4} {server.name:12} round {round_}: {rps:10,.1f} req/s  "
        f"p50 {latency.get('p50', 0):8.2f} ms  p99 {latency.get('p99', 0):8.2f} ms  "
        f"cpu server {run.cpu['server']:.2f} postgres {run.cpu['postgres']:.2f} "
        f"wrk {run.cpu['wrk']:.2f}  conns [{spread}]" + (f"  ERRORS {errors}" if errors else ""),
        file=sys.stderr,
        flush=True,
    )
    return run


def median(runs: list[Run], what: Callable[[Run], float]) -> float:
    return statistics.median(what(r) for r in runs)


def fmt_rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def fmt_ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.2f} ms"


def report(
    plan: Plan,
    work: list[Workload],
    floors: list[tuple[str, str]],
    sizes: dict[str, dict[str, int]],
    meta: dict[str, str],
) -> str:
    def runs(label: str, server: str) -> list[Run]:
        return [r for r in plan.runs if r.workload == label and r.server == server]

    lines = [
        f"# PostGraphile 4 vs imm_graph, side by side — {meta['date']}",
        "",
        *(f"- {key}: {value}" for key, value in meta.items() if key != "date"),
        "",
        f"Medians over {plan.rounds} rounds of {plan.seconds} s each (after a {plan.warmup} s "
        f"warm-up), run PostGraphile, imm_graph, PostGraphile, imm_graph …; wrk with "
        f"{plan.threads} thread(s) and {plan.connections} keep-alive connections.",
        "",
        "| workload | PostGraphile req/s | imm_graph req/s | imm_graph / PostGraphile "
        "| PostGraphile p50 / p99 | imm_graph p50 / p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for w in work:
        peer, imm = runs(w.code, PEER), runs(w.code, IMM)
        if not peer or not imm:
            continue
        a, b = median(peer, lambda r: r.rps), median(imm, lambda r: r.rps)
        lines.append(
            f"| {w.code} | {fmt_rps(a)} | {fmt_rps(b)} | {b / a:.3f} "
            f"| {fmt_ms(median(peer, lambda r: r.latency_ms['p50']))} / "
            f"{fmt_ms(median(peer, lambda r: r.latency_ms['p99']))} "
            f"| {fmt_ms(median(imm, lambda r: r.latency_ms['p50']))} / "
            f"{fmt_ms(median(imm, lambda r: r.latency_ms['p99']))} |"
        )
    for label, title in floors:
        floor = runs(label, "floor")
        if floor:
            lines.append(
                f"| {label}: {title} | — | {fmt_rps(median(floor, lambda r: r.rps))} | — | — "
                f"| {fmt_ms(median(floor, lambda r: r.latency_ms['p50']))} / "
                f"{fmt_ms(median(floor, lambda r: r.latency_ms['p99']))} |"
            )
    lines += ["", "Workloads:", ""]
    for w in work:
        size = sizes.get(w.code, {})
        lines.append(
            f"- **{w.code}** {w.title} (response: PostGraphile {size.get(PEER, 0):,} bytes, "
            f"imm_graph {size.get(IMM, 0):,} bytes)"
        )
    for label, title in floors:
        lines.append(f"- **{label}** the floor: {title}, same uvicorn settings as imm_graph")
    lines += [
        "",
        "## Every run",
        "",
        "CPU is the share of one core used during the timed run: the server's processes, every "
        "PostgreSQL process on the machine (other work included), and wrk. Connections: the "
        "established connections each server process held (the most seen in three samples at "
        "¼, ½ and ¾ of the run), with that process's CPU share in brackets.",
        "",
        "| workload | server | round | req/s | p50 | p90 | p99 | requests | errors "
        "| CPU server | CPU postgres | CPU wrk | connections by pid (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in plan.runs:
        spread = ", ".join(
            f"{pid}: {r.connections.get(pid, 0)} ({r.worker_cpu.get(pid, 0.0):.2f})"
            for pid in sorted(set(r.connections) | set(r.worker_cpu))
        )
        lines.append(
            f"| {r.workload} | {r.server} | {r.round} | {fmt_rps(r.rps)} "
            f"| {fmt_ms(r.latency_ms.get('p50', 0))} | {fmt_ms(r.latency_ms.get('p90', 0))} "
            f"| {fmt_ms(r.latency_ms.get('p99', 0))} | {r.requests:,} "
            f"| {', '.join(f'{k} {v}' for k, v in r.errors.items()) or '0'} "
            f"| {r.cpu['server']:.2f} | {r.cpu['postgres']:.2f} | {r.cpu['wrk']:.2f} | {spread} |"
        )
    lines += ["", "## Queries", ""]
    for w in work:
        for name in (PEER, IMM):
            query = " ".join(w.queries[name].split())
            lines.append(f"- {w.code} {name}: `{query}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: wrk is stopped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer", required=True, help="PostGraphile's /graphql URL")
    parser.add_argument("--peer-pid", type=int, required=True)
    parser.add_argument("--imm", required=True, help="imm_graph's /graphql URL")
    parser.add_argument("--imm-pid", type=int, required=True)
    parser.add_argument("--floor", required=True, help="the floor server's /graphql URL")
    parser.add_argument("--floor-pid", type=int, required=True)
    parser.add_argument("--db", required=True, help="postgresql:// URL of the benchmark data")
    parser.add_argument("--work-dir", type=Path, required=True, help="for the body files")
    parser.add_argument("--out", type=Path, help="write the Markdown report here too")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workloads", default="", help="e.g. W0,W3 (default: all)")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--meta", action="append", default=[], help="key=value for the report")
    a = parser.parse_args()

    key = os.environ.get("IMM_BENCH_KEY", "")
    port = lambda url: int(url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])  # noqa: E731
    servers = {
        PEER: Server(PEER, a.peer, a.peer_pid, port(a.peer)),
        IMM: Server(IMM, a.imm, a.imm_pid, port(a.imm), f"Bearer {key}" if key else ""),
    }
    floor = Server("floor", a.floor, a.floor_pid, port(a.floor), servers[IMM].authorization)

    params = asyncio.run(resolve_params(a.db))
    work = workloads(params)
    if a.workloads:
        wanted = {w.strip() for w in a.workloads.split(",") if w.strip()}
        unknown = wanted - {w.code for w in work}
        if unknown:
            raise SystemExit(f"unknown workloads {sorted(unknown)}: choose from W0 W1 W1b W2 W3 W4")
        work = [w for w in work if w.code in wanted]

    a.work_dir.mkdir(parents=True, exist_ok=True)
    bodies: dict[tuple[str, str], Path] = {}
    for w in work:
        for name in (PEER, IMM):
            path = a.work_dir / f"{w.code}-{'peer' if name == PEER else 'imm'}.json"
            path.write_text(json.dumps({"query": w.queries[name]}))
            bodies[w.code, name] = path

    print("Equivalence check (each workload once on both servers):", file=sys.stderr)
    sizes = check_equivalence(work, servers)

    plan = Plan(a.rounds, a.seconds, a.warmup, a.threads, a.connections)
    print(
        f"Timing: {plan.rounds} rounds × {plan.seconds} s (+{plan.warmup} s warm-up) per "
        f"server and workload, wrk -t{plan.threads} -c{plan.connections}:",
        file=sys.stderr,
    )
    for w in work:
        for round_ in range(1, plan.rounds + 1):
            for name in (PEER, IMM):
                measure(plan, w.code, servers[name], "", bodies[w.code, name], round_)
    floors = [] if a.no_floor else [
        ("F1", "a Starlette route returning constant JSON (`benchmarks/floor.py`)"),
        ("F0", "a bare ASGI callable returning the same JSON"),
    ]  # fmt: skip
    w0_body = a.work_dir / "W0-imm.json"
    w0_body.write_text(json.dumps({"query": "{ __typename }"}))
    for round_ in range(1, plan.rounds + 1) if floors else ():
        for label, path in (("F1", ""), ("F0", "/raw")):
            measure(plan, label, floor, path, w0_body, round_)

    meta = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    meta.update(item.split("=", 1) for item in a.meta if "=" in item)
    meta["python"] = platform.python_version()
    text = report(plan, work, floors, sizes, meta)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text)
        print(f"written to {a.out}", file=sys.stderr)
    failed = [r for r in plan.runs if r.errors]
    if failed:
        print(
            "RUNS WITH ERRORS (their figures do not count):",
            *(f"{r.workload} {r.server} round {r.round}: {r.errors}" for r in failed),
            sep="\n  ",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()

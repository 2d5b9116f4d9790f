"""Per-request cost inside the process: the ASGI app called directly, no network, no client.

    .venv/bin/python -m benchmarks.inprocess --url postgresql+asyncpg://postgres@127.0.0.1/imm_bench_tiny

A guide while optimising (the fixed cost of a small request is Python time): it reports
microseconds of wall time per request for each workload, sequentially, after a warm-up. The
side-by-side run (benchmarks/side_by_side.sh) is what BENCHMARKS.md reports.

``--profile`` shows where the time of each workload goes (pyinstrument, from the ``bench``
extra: ``.venv/bin/pip install -e '.[bench]'``), the profile BENCHMARKS.md quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import orjson
from cryptography.fernet import Fernet

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.ids import encode_id
from imm_graph.security.keys import create_api_key

COLUMNS = "id name kind odsCode localAuthority"

QUERIES = {
    "W0 __typename": "{ __typename }",
    "W1 node(id:)": f'{{ node(id: "{encode_id("Organisation", 1)}") '
    f"{{ ... on Organisation {{ {COLUMNS} }} }} }}",
    "W2 page of 20": f"{{ organisations(first: 20) {{ nodes {{ {COLUMNS} }} }} }}",
}
NESTED = {  # W3 of the side-by-side run: thousands of fields
    "W3 nested": "{ organisations(first: 50) { nodes { id name hubs { nodes { id name "
    "sessions(first: 10) { nodes { id date attendance { total } cohorts { code name } } } "
    "} } } } }",
}


async def call(
    app: Any, body: bytes, headers: list[tuple[bytes, bytes]], path: str = "/graphql"
) -> tuple[int, bytes]:
    """POST ``body`` to the ASGI ``app`` directly: (status, body). No network, no client."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


async def main(
    url: str, n: int, queries: dict[str, str], compiler: bool, profile: bool = False
) -> None:
    settings = Settings(database_url=url, environment="production", secret_key="x" * 40,
                        sql_compiler=compiler,
                        log_level=os.environ.get("IMM_LOG_LEVEL", "WARNING"),
                        encryption_keys=Fernet.generate_key().decode(),
                        rate_limit_per_minute=10**9, anonymous_rate_limit_per_minute=10**9)
    app = create_app(settings)
    async with app.state.db.transaction() as session:  # hashed with this run's secret
        token = (await create_api_key(session, name="inprocess", scopes=["read:core"])).token
    headers = [(b"content-type", b"application/json"),
               (b"authorization", f"Bearer {token}".encode())]
    async with app.router.lifespan_context(app):
        for name, query in queries.items():
            body = orjson.dumps({"query": query})
            for _ in range(min(50, n)):
                status, payload = await call(app, body, headers)
            assert status == 200, payload[:300]
            timings = []
            profiler = _profiler() if profile else None
            for _ in range(n):
                started = time.perf_counter()
                await call(app, body, headers)
                timings.append(time.perf_counter() - started)
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            print(f"{name:16} median {statistics.median(timings) * 1e6:8.0f} µs  "
                  f"p10 {sorted(timings)[n // 10] * 1e6:8.0f} µs")


def _profiler() -> Any:
    from pyinstrument import Profiler  # the bench extra: only this option needs it

    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    return profiler


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--nested", action="store_true", help="the nested W3 query instead")
    parser.add_argument("--resolvers", action="store_true", help="IMM_SQL_COMPILER=false")
    parser.add_argument("--profile", action="store_true", help="where the time goes (pyinstrument)")
    a = parser.parse_args()
    asyncio.run(main(a.url, a.n, NESTED if a.nested else QUERIES, not a.resolvers, a.profile))

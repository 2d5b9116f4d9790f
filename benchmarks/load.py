"""Closed-loop load: N concurrent clients send one GraphQL query for a fixed time.

    python -m benchmarks.load --url http://127.0.0.1:8000/graphql --clients 8 --seconds 30

Each client holds its own keep-alive connection. With several uvicorn workers the kernel spreads
connections, not requests, across workers: the report prints how many distinct connections
were used so a reader can judge the spread. Responses are checked for errors, not parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

QUERY = """
{
  organisations(first: 50) {
    nodes {
      id name
      hubs {
        nodes {
          id name
          sessions(first: 10) {
            nodes { id date attendance { total } cohorts { code name } }
          }
        }
      }
    }
  }
}
"""


async def client(
    url: str, deadline: float, latencies: list[float], sizes: list[int], headers: dict[str, str]
) -> int:
    errors = 0
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await http.post(url, json={"query": QUERY})
            latencies.append(time.perf_counter() - started)
            body = response.content
            sizes.append(len(body))
            if response.status_code != 200 or b'"errors"' in body[:20]:
                errors += 1
    return errors


async def run(url: str, clients: int, seconds: float, warmup: float, key: str | None) -> None:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    if warmup:
        await asyncio.gather(
            *(client(url, time.perf_counter() + warmup, [], [], headers) for _ in range(clients))
        )
    latencies: list[float] = []
    sizes: list[int] = []
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(client(url, started + seconds, latencies, sizes, headers) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"clients={clients} connections={clients} duration={elapsed:.1f}s "
        f"requests={len(latencies)} errors={sum(errors)}"
    )
    print(
        f"throughput={len(latencies) / elapsed:.1f} req/s  "
        f"latency p50={pct(0.5):.0f}ms p90={pct(0.9):.0f}ms p99={pct(0.99):.0f}ms "
        f"mean={statistics.mean(latencies) * 1000:.0f}ms  "
        f"response={statistics.mean(sizes) / 1024:.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--key", default=None, help="API key, if the server requires one")
    a = parser.parse_args()
    asyncio.run(run(a.url, a.clients, a.seconds, a.warmup, a.key))


if __name__ == "__main__":
    main()

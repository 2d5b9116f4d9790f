"""Token buckets per API key and per anonymous client IP, on an injected clock (no sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.security.ratelimit import RateLimiter
from imm_graph.security.scopes import READ_CORE
from tests.conftest import MakeKey, bearer

QUERY = {"query": "{ hubs { totalCount } }"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_minutes_worth_then_refills_steadily() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert [limiter.take("k", 3).allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.take("k", 3)
    assert refused.retry_after == 20  # one token every 60/3 seconds
    clock.now += 19.5
    assert not limiter.take("k", 3).allowed
    clock.now += 0.5
    assert limiter.take("k", 3).allowed
    assert limiter.take("other", 3).allowed  # buckets are per caller


def test_idle_buckets_are_forgotten_when_memory_is_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, max_buckets=3)
    for key in "abc":
        limiter.take(key, 10)
    clock.now += 61
    limiter.take("d", 10)
    assert set(limiter._buckets) == {"d"}


@pytest.fixture
async def limited(database_url: str, db: Database) -> AsyncIterator[tuple[Starlette, Clock]]:
    settings = Settings(
        database_url=database_url, environment="test",
        anonymous_rate_limit_per_minute=2, rate_limit_per_minute=3,
    )
    app = create_app(settings, database=db)
    clock = Clock()
    app.state.rate_limiter = RateLimiter(clock=clock)
    yield app, clock


async def test_over_the_limit_gets_429_with_retry_after(
    limited: tuple[Starlette, Clock], make_key: MakeKey
) -> None:
    app, clock = limited
    token = await make_key([READ_CORE])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        statuses = [(await http.post("/graphql", json=QUERY, headers=bearer(token))).status_code
                    for _ in range(3)]
        refused = await http.post("/graphql", json=QUERY, headers=bearer(token))
        # Anonymous callers have their own, smaller bucket (per client IP).
        anonymous = [(await http.post("/graphql", json=QUERY)).status_code for _ in range(3)]
        health = await http.get("/health")  # load balancers are never limited
        clock.now += 20
        again = await http.post("/graphql", json=QUERY, headers=bearer(token))
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == 20
    assert anonymous == [200, 200, 429]
    assert health.status_code == 200
    assert again.status_code == 200 and again.headers["ratelimit-remaining"] == "0"


async def test_a_key_can_have_its_own_limit(
    limited: tuple[Starlette, Clock], make_key: MakeKey
) -> None:
    app, _ = limited
    generous = await make_key([READ_CORE], rate_limit_per_minute=10)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as http:
        statuses = [
            (await http.post("/graphql", json=QUERY, headers=bearer(generous))).status_code
            for _ in range(11)
        ]
    assert statuses == [200] * 10 + [429]

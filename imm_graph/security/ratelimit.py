"""Requests per minute, per API key (anonymous callers: per client IP), as token buckets.

Each caller has a bucket holding up to ``limit`` tokens that refills at ``limit`` per minute; a
request takes one token, and a caller with an empty bucket gets HTTP 429 with ``Retry-After``.
A partner may therefore burst a whole minute's allowance at once, then continues at the steady
rate. Failed authentications have a bucket of their own per client IP, so a key cannot be
guessed at full speed.

State is process-local: with ``uvicorn --workers N`` (or several hosts) each worker keeps its
own buckets, so a caller can reach up to N × the limit. Either divide the configured limits by
the number of workers, or enforce the exact limit at the reverse proxy / gateway in front; the
database is deliberately not used, so that counting requests never costs a write per request.
Anonymous callers are told apart by ``scope["client"]``: behind a proxy, serve with
``--proxy-headers`` (the default of `imm-graph serve`) and set ``FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds until one token is back (0 when allowed)


class RateLimiter:
    """Token buckets keyed by caller; ``clock`` is injectable so tests need no sleeps."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_buckets: int = 50_000):
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, per_minute: int) -> Decision:
        """Spend one token if there is one."""
        return self._decide(key, per_minute, spend=True)

    def peek(self, key: str, per_minute: int) -> Decision:
        """Would `take` allow it? Spends nothing (failed logins are counted only when they fail)."""
        return self._decide(key, per_minute, spend=False)

    def _decide(self, key: str, per_minute: int, *, spend: bool) -> Decision:
        now = self.clock()
        rate = per_minute / 60.0  # tokens per second
        bucket = self._buckets.get(key)
        if bucket is None:
            if not spend:
                return Decision(True, per_minute, per_minute, 0)
            if len(self._buckets) >= self.max_buckets:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(tokens=per_minute, updated=now)
        else:
            bucket.tokens = min(per_minute, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            if spend:
                bucket.tokens -= 1
            return Decision(True, per_minute, int(bucket.tokens), 0)
        wait = math.ceil((1 - bucket.tokens) / rate)
        return Decision(False, per_minute, 0, max(1, wait))

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        full_after = 60.0  # any bucket idle this long is full again
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]
        if len(self._buckets) >= self.max_buckets:  # still full: a flood of new callers
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]


def too_many_requests(decision: Decision, what: str = "requests") -> JSONResponse:
    """A GraphQL-shaped body, so GraphQL clients surface the error like any other."""
    message = (
        f"Rate limit exceeded: {decision.limit} {what} per minute. "
        f"Retry in {decision.retry_after} s."
    )
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {
            "code": "RATE_LIMITED", "retryAfter": decision.retry_after, "limit": decision.limit,
        }}]},
        status_code=429,
        headers={"Retry-After": str(decision.retry_after)},
    )

"""Retry bookkeeping shared by event-hook retries and outbound deliveries.

Both keep a failed piece of work in the database and try it again later, so they share one
backoff rule and one way of describing a failure that is safe to store and show to staff.
"""

from __future__ import annotations

import datetime as dt
import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

MAX_ERROR_LENGTH = 300


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS blog, "Exponential Backoff and Jitter").

    Full jitter spreads retries of many failed rows across the whole window, so a partner that
    comes back after an outage is not hit by every worker at once. ``random`` is injectable so
    tests can pin the delay instead of sleeping.
    """

    max_attempts: int = 8
    base_delay: dt.timedelta = dt.timedelta(seconds=30)
    max_delay: dt.timedelta = dt.timedelta(hours=1)
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay <= dt.timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failure: uniform in [0, min(cap, base·2^(n-1))]."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(attempts - 1, 0)))
        return ceiling * min(max(self.random(), 0.0), 1.0)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def error_text(exc: BaseException) -> str:
    """Describe a failure without the data that caused it.

    Exception messages routinely carry values: SQLAlchemy appends the SQL parameters, PostgreSQL's
    DETAIL line quotes the conflicting key, pydantic quotes the input. Those may be personal data
    or secrets, so only the type and the first line of the message (or field locations) are kept.
    """
    name = type(exc).__name__
    if isinstance(exc, StatementError):
        return _clip(_database_error(exc))
    if isinstance(exc, pydantic.ValidationError):
        fields = ", ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['type']}" for e in exc.errors()
        )
        return _clip(f"{name}: {fields}")
    message = _first_line(str(exc))
    return _clip(f"{name}: {message}" if message else name)


def _database_error(exc: StatementError) -> str:
    """Name the failing constraint, never the statement's parameters.

    SQLite's messages name tables and columns only ("UNIQUE constraint failed: t.c") and are
    kept; PostgreSQL's may quote the offending value ("invalid input syntax … "Alice""), so for
    it only the constraint name is kept.
    """
    orig = exc.orig
    if orig is None:
        return type(exc).__name__
    driver = orig.__cause__ or orig
    text = f"{type(exc).__name__} ({type(driver).__name__})"
    constraint = getattr(driver, "constraint_name", None)
    if constraint:
        return f"{text}: constraint {constraint}"
    if type(orig).__module__.startswith("sqlite3"):
        return f"{text}: {_first_line(str(orig))}"
    return text


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


async def staff_list(
    session: Any,
    model: Any,
    *,
    status: Any = None,
    plugin: str | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[Any]:
    """Retried work (deliveries, event hooks) for staff, oldest first, keyset-paginated by id."""
    query = sa.select(model).order_by(model.id).limit(limit)
    if status is not None:
        query = query.where(model.status == status)
    if plugin is not None:
        query = query.where(model.plugin == plugin)
    if after_id is not None:
        query = query.where(model.id > after_id)
    return list(await session.scalars(query))

"""Periodic jobs plug-ins declare, run by ``imm-graph worker``: one runner at a time.

Each job's rhythm is kept in ``job_runs`` (when it is next due, when it last ran and how), so
a restarted worker neither runs a job early nor skips it. Across processes, a PostgreSQL
advisory lock held for the run makes sure one worker runs a job at a time; on SQLite, which
runs one worker, a lock in the process does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from imm_graph.db import Database
from imm_graph.logging import get_logger
from imm_graph.models.platform import JobRun
from imm_graph.pluginhost.contract import PeriodicJob
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.retry import error_text

log = get_logger(__name__)
_local_locks: dict[str, asyncio.Lock] = {}


@dataclass(frozen=True)
class JobContext:
    """What a job's ``run`` receives."""

    db: Database
    now: dt.datetime
    config: Any
    plugin: str


@dataclass(frozen=True)
class JobOutcome:
    plugin: str
    job: str
    status: str  # "ok", "failed", or "skipped" (another worker holds it)
    error: str | None = None


@asynccontextmanager
async def exclusive(db: Database, key: str) -> AsyncIterator[bool]:
    """Hold ``key`` across processes while the block runs; yields whether it was acquired."""
    if db.engine.dialect.name != "postgresql":
        lock = _local_locks.setdefault(f"{db.url}:{key}", asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
        return
    async with db.engine.connect() as conn:
        acquired = bool(await conn.scalar(
            sa.text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": key}
        ))
        await conn.commit()
        try:
            yield acquired
        finally:
            if acquired:
                await conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:key))"),
                                   {"key": key})
                await conn.commit()


async def _due(db: Database, plugin: str, job: PeriodicJob, now: dt.datetime) -> bool:
    async with db.transaction() as session:
        run = await session.scalar(
            sa.select(JobRun).where(JobRun.plugin == plugin, JobRun.job == job.name)
        )
        if run is None:
            session.add(JobRun(plugin=plugin, job=job.name, next_due_at=now, runs=0))
            return True
        return run.next_due_at <= now


async def _finish(
    db: Database, plugin: str, job: PeriodicJob, started: dt.datetime, error: str | None
) -> None:
    async with db.transaction() as session:
        run = await session.scalar(
            sa.select(JobRun).where(JobRun.plugin == plugin, JobRun.job == job.name)
        )
        assert run is not None  # created by _due
        run.last_started_at = started
        run.last_finished_at = started
        run.last_status = "failed" if error else "ok"
        run.last_error = error
        run.runs += 1
        run.next_due_at = started + job.every


async def run_due_jobs(
    db: Database, plugins: PluginManager, now: dt.datetime
) -> list[JobOutcome]:
    """Run every declared job that is due at ``now`` and not running elsewhere."""
    outcomes: list[JobOutcome] = []
    for plugin, job in plugins.jobs():
        async with exclusive(db, f"imm_graph.job:{plugin}:{job.name}") as acquired:
            if not acquired:
                outcomes.append(JobOutcome(plugin, job.name, "skipped"))
                continue
            if not await _due(db, plugin, job, now):
                continue
            error = None
            try:
                await job.run(JobContext(db, now, plugins.config_for(plugin), plugin))
            except Exception as exc:  # a failing job is tried again at its next turn
                error = error_text(exc)
                log.error("job.failed", plugin=plugin, job=job.name, error=error)
            await _finish(db, plugin, job, now, error)
            outcomes.append(JobOutcome(plugin, job.name, "failed" if error else "ok", error))
    return outcomes

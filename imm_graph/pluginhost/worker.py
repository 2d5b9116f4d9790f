"""The worker loop: send deliveries, retry failed event hooks, run periodic jobs, repeat.

Run by ``imm-graph worker`` (or inside the server with ``IMM_IN_PROCESS_WORKER``). It loops
without pausing while there is work and waits ``poll_interval_seconds`` (or until stopped) when
a cycle found none. A failing database is logged and retried, not fatal, so a restart of
PostgreSQL does not need a restart of every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from imm_graph.db import Database, utcnow
from imm_graph.logging import get_logger
from imm_graph.pluginhost.events import EventRetrySettings, RetryReport, retry_events
from imm_graph.pluginhost.jobs import JobOutcome, run_due_jobs
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings, RunReport, run_once
from imm_graph.retry import error_text

log = get_logger(__name__)


@dataclass
class Cycle:
    """What one turn of the loop did."""

    deliveries: RunReport = field(default_factory=RunReport)
    events: RetryReport = field(default_factory=RetryReport)
    jobs: list[JobOutcome] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        ran = [j for j in self.jobs if j.status != "skipped"]
        return bool(self.deliveries.claimed or self.events.attempted or ran)


async def cycle(
    db: Database,
    client: httpx.AsyncClient,
    plugins: PluginManager,
    *,
    settings: OutboxSettings | None = None,
    now: dt.datetime | None = None,
    production: bool = False,
) -> Cycle:
    """One turn: a batch of deliveries, due event-hook retries, due jobs."""
    now = now or utcnow()
    return Cycle(
        deliveries=await run_once(db, client, plugins=plugins, settings=settings, now=now,
                                  production=production),
        events=await retry_events(db, plugins, now=now, policy=EventRetrySettings().policy()),
        jobs=await run_due_jobs(db, plugins, now),
    )


async def run_forever(
    db: Database,
    client: httpx.AsyncClient,
    plugins: PluginManager,
    *,
    settings: OutboxSettings | None = None,
    interval: float | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    stop: asyncio.Event | None = None,
    on_cycle: Callable[[Cycle], None] | None = None,
    production: bool = False,
) -> None:
    """Work until ``stop`` is set."""
    settings = settings or OutboxSettings()
    stop = stop or asyncio.Event()
    pause = settings.poll_interval_seconds if interval is None else interval
    while not stop.is_set():
        busy = False
        try:
            done = await cycle(db, client, plugins, settings=settings, now=clock(),
                               production=production)
            busy = done.busy
            if on_cycle is not None:
                on_cycle(done)
        except Exception as exc:  # keep the worker alive through database or network outages
            log.error("worker.cycle_failed", error=error_text(exc))
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)

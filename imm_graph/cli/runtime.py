"""What every command that touches the database shares: the plug-ins, the database, the actor.

Writes from the command line are ordinary writes: they raise domain events for plug-ins and
are audited as ``cli:<user>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.pluginhost.events import EventDispatcher
from imm_graph.pluginhost.manager import PluginManager

T = TypeVar("T")


def open_database(plugins: PluginManager | None, settings: Settings | None = None) -> Database:
    """The database of the settings read now (not a cached copy: in-process callers, such as
    tests, run several commands against several databases)."""
    settings = settings or Settings()
    return Database(
        settings.database_url, plugins=plugins,
        event_sink=EventDispatcher(plugins) if plugins is not None else None,
    )


def with_database(work: Callable[[Database], Awaitable[T]], *, plugins: bool = True) -> T:
    """Run ``work`` with a database (and the plug-ins, unless ``plugins`` is false)."""

    async def run() -> T:
        db = open_database(PluginManager.load() if plugins else None)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())

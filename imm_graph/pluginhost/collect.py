"""One plug-in contributing to another's output without either importing the other.

The gathering plug-in calls `collect` with a topic; the manager asks every enabled plug-in's
``imm_graph_contribute`` hook (see the contract). The manager travels with the session (the
app's `Database` puts it in every session's ``info``), so plug-in code needs no global.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.pluginhost.manager import PluginManager


async def collect(
    topic: str, params: Mapping[str, Any], session: AsyncSession
) -> list[tuple[str, Any]]:
    """(plug-in name, contribution) from each plug-in answering ``topic``, in plug-in order."""
    manager = session.info.get("plugins")
    if not isinstance(manager, PluginManager):
        return []
    return await manager.collect(topic, params, session)

"""A request's context holds one read connection, and lets it go when the request ends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.schema.context import Context


async def test_a_closed_context_reads_no_more(db: Database, settings: Settings) -> None:
    ctx = Context(db=db, settings=settings)
    assert await ctx.fetch(sa.select(sa.literal(1))) == [(1,)]
    await ctx.close()
    with pytest.raises(RuntimeError, match="closed"):
        await ctx.fetch(sa.select(sa.literal(1)))

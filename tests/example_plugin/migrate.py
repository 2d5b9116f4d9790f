"""For tests: bring a test database up to every head once the example plug-in is installed
(its tables live in its own Alembic branch, which the session's template does not have)."""

from __future__ import annotations

from imm_graph.db import create_engine
from imm_graph.migrate import upgrade


async def migrate_example(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()

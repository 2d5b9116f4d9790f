"""Alembic environment: async engines, SQLite batch mode, and the core's metadata.

`imm_graph.migrate` hands in an open connection (so migrations can run inside an event loop
that is already running, as in the app and the tests); the `alembic` command line gets an
engine built from IMM_DATABASE_URL instead.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from imm_graph.config import get_settings
from imm_graph.db import create_engine
from imm_graph.migrate import target_metadata

config = context.config


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="imm_graph.db.",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_new_engine() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=target_metadata(),
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    _configure_and_run(conn)
else:
    asyncio.run(_run_with_new_engine())

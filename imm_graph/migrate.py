"""Schema migrations through Alembic, callable from async code (app start-up, CLI, tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def target_metadata() -> sa.MetaData:
    """The metadata Alembic compares against: the core's tables plus every plug-in's."""
    import imm_graph.models  # noqa: F401  (registers the core tables)
    from imm_graph.db import Base
    from imm_graph.plugins import import_plugin_models

    import_plugin_models()  # every installed plug-in's tables, enabled or not

    return Base.metadata


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


async def _run(engine: AsyncEngine, action: object) -> None:
    def run_sync(sync_conn: sa.Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        action(cfg)  # type: ignore[operator]

    async with engine.begin() as conn:
        await conn.run_sync(run_sync)

"""Schema migrations through Alembic, callable from async code (app start-up, CLI, tests).

The core's revisions live in the ``migrations`` package (shipped in the wheel, so an installed
imm_graph can migrate) and each plug-in's in a folder its ``imm_graph_migrations`` hook names,
as an Alembic branch labelled with the plug-in's name. So the database has several heads, one
per branch: ``upgrade`` takes it to all of them, and `pending` says which are missing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

import imm_graph.models  # noqa: F401  (registers the core tables on Base.metadata)
import migrations
from imm_graph.db import Base
from imm_graph.pluginhost.manager import import_plugin_models, plugin_migration_dirs

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def target_metadata() -> sa.MetaData:
    """The metadata Alembic compares against: the core's tables plus every plug-in's."""
    import_plugin_models()  # every installed plug-in's tables, enabled or not
    return Base.metadata


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions", *plugin_migration_dirs().values()]
    # Alembic splits version_locations on this separator; paths hold no newlines.
    cfg.set_main_option("path_separator", "newline")
    cfg.set_main_option("version_locations", "\n".join(str(p) for p in locations))
    return cfg


def head_revisions() -> frozenset[str]:
    """Every branch's newest revision: what a migrated database is at."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: frozenset(MigrationContext.configure(sync_conn).get_current_heads())
        )


async def pending(engine: AsyncEngine) -> frozenset[str]:
    """Heads the database has not reached (empty when it is up to date)."""
    current = await current_revisions(engine)
    script = ScriptDirectory.from_config(alembic_config())
    reached: set[str] = set()
    for revision in current:
        reached.update(r.revision for r in script.iterate_revisions(revision, "base"))
    return head_revisions() - reached


async def _run(engine: AsyncEngine, action: object) -> None:
    def run_sync(sync_conn: sa.Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        action(cfg)  # type: ignore[operator]

    async with engine.begin() as conn:
        await conn.run_sync(run_sync)

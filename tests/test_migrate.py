"""Migrations run both ways on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from imm_graph.db import create_engine
from imm_graph.migrate import current_revisions, downgrade, head_revisions, target_metadata, upgrade
from imm_graph.pluginhost.manager import installed_plugins


async def _tables(engine: sa.ext.asyncio.AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine)
        assert await current_revisions(engine) == head_revisions()
        assert {"organisations", "hubs", "sessions", "outcome_assessments"} <= await _tables(engine)

        await downgrade(engine, "base")
        assert await current_revisions(engine) == frozenset()
        assert await _tables(engine) <= {"alembic_version"}

        await upgrade(engine)
        async with engine.connect() as conn:
            cohorts = await conn.scalar(sa.text("SELECT count(*) FROM clinical_cohorts"))
        assert cohorts == 15  # reference data comes back with the schema
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate against a migrated database finds nothing to do."""
    engine = create_engine(database_url)

    def diff(sync_conn: sa.Connection) -> list[object]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, target_metadata())

    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    # Tests install plug-ins of their own (the example) whose tables stay registered on the
    # shared metadata; this database has the branches of the plug-ins installed at start only.
    installed = {name for name, _ in installed_plugins()}
    differences = [d for d in differences if not _foreign_table(d, installed)]
    assert differences == []


def _foreign_table(difference: object, installed: set[str]) -> bool:
    item = difference[1] if isinstance(difference, tuple) and len(difference) > 1 else None
    table = getattr(item, "table", item)  # an index or a constraint: the table it is on
    name = getattr(table, "name", "")
    return bool(name) and name.startswith("example_") and "example" not in installed

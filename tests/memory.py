"""An in-memory SQLite database with every table, for database-free tests (and mutation runs):
the core's SQL runs against it synchronously, with no fixture and no event loop."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from imm_graph import models as m


class MemoryDatabase:
    def __init__(self) -> None:
        self.engine = sa.create_engine("sqlite://")
        m.Hub.__table__.metadata.create_all(self.engine)

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            for row in rows:
                conn.execute(table.insert(), row)

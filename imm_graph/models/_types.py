"""Column helpers shared by the core models and the plug-ins' models."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


def enum_column_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR with a named CHECK constraint on both SQLite and PostgreSQL.

    Native PostgreSQL enums need a migration for every new value; a CHECK constraint keeps the
    database strict while staying a one-line change.
    """
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 8,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )

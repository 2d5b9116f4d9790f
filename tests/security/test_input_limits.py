"""Validation agrees with the schema, so both backends accept and refuse the same input.

The probe found inputs longer than their columns (session venue 300 vs 200): PostgreSQL refused
them with an internal error while SQLite, which does not enforce lengths, stored them.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from annotated_types import MaxLen

from imm_graph import models as m
from imm_graph import services
from imm_graph.db import Database
from imm_graph.errors import ValidationError
from tests import builders


def _max_length(field: object) -> int | None:
    for item in getattr(field, "metadata", ()):
        if isinstance(item, MaxLen) or getattr(item, "max_length", None) is not None:
            return item.max_length
    return None


def _string_columns() -> list[tuple[str, str, int, int | None]]:
    """(entity, field, column length, input max length) for every bounded string column."""
    found = []
    for kind, spec in services.SPECS.items():
        table = spec.model.__table__
        for name, field in spec.input.model_fields.items():
            column = table.c.get(name)
            if column is None or not isinstance(column.type, sa.String):
                continue
            if isinstance(column.type, sa.Enum):
                continue  # one of the enum's values or refused
            if column.type.length is None:
                continue
            annotation = field.annotation
            # `X | None` keeps its constraints on the inner type's metadata
            inner = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
            bound = _max_length(field)
            for candidate in inner:
                for item in getattr(candidate, "__metadata__", ()):
                    bound = bound or getattr(item, "max_length", None)
            found.append((kind, name, column.type.length, bound))
    return found


@pytest.mark.parametrize(("kind", "name", "column", "bound"), _string_columns())
def test_every_bounded_string_input_fits_its_column(
    kind: str, name: str, column: int, bound: int | None
) -> None:
    if name.endswith("_code") or name in ("ods_code", "postcode", "postcode_district"):
        return  # validated by pattern (codes, ODS codes, postcodes), shorter than the column
    assert bound is not None, f"{kind}.{name} has no maximum length (its column holds {column})"
    assert bound <= column, f"{kind}.{name} accepts {bound} characters; its column holds {column}"


async def test_an_input_too_long_for_its_column_is_refused_on_both_backends(db: Database) -> None:
    async with db.transaction() as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
    with pytest.raises(ValidationError) as refused:
        async with db.transaction() as session:
            await builders.session_at(session, hub.id, dt.date(2024, 1, 1), venue="v" * 201)
    assert [(e.field, e.code) for e in refused.value.errors] == [("venue", "string_too_long")]


async def test_nul_characters_are_refused_by_the_services(db: Database) -> None:
    with pytest.raises(ValidationError) as refused:
        async with db.transaction() as session:
            await builders.organisation(session, name="Care\x00Home")
    assert [(e.field, e.code) for e in refused.value.errors] == [("name", "nul_character")]
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 0

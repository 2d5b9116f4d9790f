"""How a relation field maps onto SQL, kept on the field itself as strawberry metadata.

The resolvers in `types.py` are built from these descriptions (`types.follows`,
`types.connects` …) and the SQL compiler reads the same descriptions back from the schema
(`compiler.specs`), so the two read paths cannot drift apart: there is no second map to forget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imm_graph.schema.relations import Relation

SQL = "imm_graph.sql"  # the metadata key


@dataclass(frozen=True)
class Follows:
    """A to-one field: the ``target`` row whose key is this row's ``fk`` column."""

    target: str
    fk: str


@dataclass(frozen=True)
class Connects:
    """A paginated connection of ``target`` rows along ``relation``."""

    relation: Relation
    target: str


@dataclass(frozen=True)
class Lists:
    """A short, bounded list of ``target`` rows along ``relation`` (reference data)."""

    relation: Relation
    target: str


@dataclass(frozen=True)
class ListsEither:
    """A bounded list along the first relation whose parent column (on this row) is set:
    a session's cohorts are its hub's, or else its project's."""

    choices: tuple[tuple[str, Relation], ...]
    target: str


@dataclass(frozen=True)
class Values:
    """A list of one column's values along ``relation`` (a hub's postcode districts)."""

    relation: Relation
    column: str


@dataclass(frozen=True)
class Embeds:
    """An object made of this row's own columns: GraphQL field -> column, and fields that
    sum several columns."""

    type_name: str
    columns: Mapping[str, str]
    sums: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class IsNull:
    """A boolean that is true when ``column`` is null (a consent in force: not withdrawn)."""

    column: str


SqlMapping = Follows | Connects | Lists | ListsEither | Values | Embeds | IsNull


def sql(mapping: SqlMapping, **metadata: Any) -> dict[str, Any]:
    """Field metadata carrying ``mapping`` (and any other metadata, e.g. a list bound)."""
    return {**metadata, SQL: mapping}

"""Relation fields and IDs are resolved by graphql-core directly; permissions never are."""

from __future__ import annotations

import strawberry

from imm_graph.config import Settings
from imm_graph.schema.build import build_schema, direct_resolvers
from imm_graph.schema.metadata import DIRECT_KEY, direct
from imm_graph.schema.permissions import requires


def _field(schema: object, type_name: str, name: str) -> object:
    return schema._schema.type_map[type_name].fields[name]  # type: ignore[attr-defined]


def test_marked_fields_skip_strawberrys_per_call_wrapper() -> None:
    schema = build_schema(Settings(environment="test"))
    for type_name, name in (("Hub", "sessions"), ("Session", "hub"), ("Session", "id"),
                            ("Attendance", "total"), ("Hub", "cohorts")):
        definition = _field(schema, type_name, name)
        marked = definition.extensions["strawberry-definition"].metadata[DIRECT_KEY]
        assert definition.resolve is marked, f"{type_name}.{name}"


def _secret(source: object, _info: object) -> str:
    return "leaked"


@strawberry.type
class Probe:
    @strawberry.field(extensions=requires("read:personal"), metadata=direct(_secret))
    def guarded(self) -> str:
        return "guarded"

    @strawberry.field(metadata=direct(_secret))
    def open(self) -> str:
        return "open"


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probe(self) -> Probe:
        return Probe()


def test_a_field_with_a_permission_keeps_it_whatever_its_mark() -> None:
    schema = strawberry.Schema(query=ProbeQuery)
    assert direct_resolvers(schema) == 1
    assert _field(schema, "Probe", "open").resolve is _secret
    assert _field(schema, "Probe", "guarded").resolve is not _secret

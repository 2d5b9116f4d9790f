"""Which readable fields the SQL compiler answers, and why the others stay on the resolvers.

BENCHMARKS.md reports it (`python -m benchmarks.coverage`); the goal is every field that is not
an audited personal read. Computed from the built schema, plug-in fields included, so a field
added without a SQL mapping shows up here as resolver-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.permission import PermissionExtension

from imm_graph.schema.compiler import SPECS
from imm_graph.schema.mapping import SQL, Embeds
from imm_graph.schema.queries import ROOT_LISTS

AUDITED_SCOPES = frozenset({"read:personal"})
PAGING_TYPES = frozenset({"PageInfo"})
ROOT_COMPILED = frozenset({"node", "nodes", "impact", *ROOT_LISTS})
IMPACT_COMPILED = frozenset({"peopleEngaged", "sessionsDelivered", "hubsWithSessions",
                             "attendance", "staffTrained", "trainingDeliveries"})

# Fields kept on the resolvers on purpose, with the reason; fields of types reached only
# through one of them take its reason.
REASONS = {
    "OutcomeAssessment.flags": "screening rules live in Python (`scoring.score`), one place",
    "Impact.outcomes": "whether a pair improved is `scoring.change`'s to judge, in Python; "
    "the pairs come from one statement",
    "Query.auditLog": "the audit log: admin only, and its reads are rare",
    "Query.outboxDeliveries": "delivery monitoring: admin only, rare",
    "Query.eventHookFailures": "delivery monitoring: admin only, rare",
}


@dataclass(frozen=True)
class Coverage:
    compiled: tuple[str, ...]
    audited: tuple[str, ...]
    resolvers: tuple[tuple[str, str], ...]  # ("Type.field", why)

    @property
    def share(self) -> float:
        """Compiled fields over readable fields that are not audited personal reads."""
        total = len(self.compiled) + len(self.resolvers)
        return len(self.compiled) / total if total else 1.0


def _readable_types(schema: GraphQLSchema) -> Iterator[tuple[GraphQLObjectType, str | None]]:
    """Object types reachable from ``Query`` (mutation payloads are not reads), each with the
    field it is reached only through when that field is resolver-only on purpose (else None)."""
    seen: set[str] = set()
    query = schema.query_type
    assert query is not None
    # Breadth first, the compiled ways in before the ones kept on the resolvers.
    stack: list[tuple[GraphQLObjectType, str | None]] = [(query, None)]
    while stack:
        gql_type, under = stack.pop(0)
        if gql_type.name in seen:
            continue
        seen.add(gql_type.name)
        yield gql_type, under
        for name, definition in sorted(
            gql_type.fields.items(), key=lambda f: f"{gql_type.name}.{f[0]}" in REASONS
        ):
            key = f"{gql_type.name}.{name}"
            named = get_named_type(definition.type)
            for target in [named, *_implementations(schema, named)]:
                if isinstance(target, GraphQLObjectType):
                    stack.append((target, key if key in REASONS else under))


def _implementations(schema: GraphQLSchema, named: object) -> list[GraphQLObjectType]:
    if isinstance(named, GraphQLObjectType) or not hasattr(named, "fields"):
        return []
    return list(schema.get_possible_types(named))  # type: ignore[arg-type]


def _audited(definition: GraphQLField) -> bool:
    field = definition.extensions.get("strawberry-definition")
    for extension in getattr(field, "extensions", None) or ():
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if getattr(permission, "scope", None) in AUDITED_SCOPES:
                    return True
    return False


def _embedded_types() -> dict[str, Embeds]:
    return {
        mapping.type_name: mapping
        for spec in SPECS.values()
        for mapping in spec.mapped.values()
        if isinstance(mapping, Embeds)
    }


def _compiled(type_name: str, field_name: str, gql_type: GraphQLObjectType) -> bool:
    if field_name == "__typename":
        return True
    if type_name == "Query":
        return field_name in ROOT_COMPILED
    if type_name == "Impact":
        return field_name in IMPACT_COMPILED
    if type_name in PAGING_TYPES:
        return True
    for suffix, fields in (("Connection", ("nodes", "edges", "pageInfo", "totalCount")),
                           ("Edge", ("node", "cursor"))):
        if type_name.endswith(suffix) and field_name in fields:
            return get_named_type(gql_type.fields[field_name].type).name in SPECS or (
                field_name not in ("nodes", "node")
                and type_name.removesuffix(suffix) in SPECS
            )
    embedded = _embedded_types().get(type_name)
    if embedded is not None:
        return field_name in embedded.columns or field_name in embedded.sums
    spec = SPECS.get(type_name)
    if spec is None:
        return False
    return field_name == "id" or field_name in spec.scalars or field_name in spec.mapped


def _why(key: str, type_name: str, definition: GraphQLField, under: str | None) -> str:
    if key in REASONS:
        return REASONS[key]
    if under is not None:
        return f"read under `{under}`: {REASONS[under]}"
    field = definition.extensions.get("strawberry-definition")
    if SQL in (getattr(field, "metadata", None) or {}):
        return "declared with a SQL mapping, but its type has no spec"
    if type_name in SPECS:
        return "a field without a SQL mapping (a plug-in's, or computed)"
    return "its type has no SQL spec yet"


def coverage(schema: strawberry.Schema) -> Coverage:
    compiled: list[str] = []
    audited: list[str] = []
    resolvers: list[tuple[str, str]] = []
    for gql_type, under in _readable_types(schema._schema):
        if gql_type.name.startswith("__"):
            continue
        for name, definition in gql_type.fields.items():
            key = f"{gql_type.name}.{name}"
            if _audited(definition):
                audited.append(key)
            elif _compiled(gql_type.name, name, gql_type):
                compiled.append(key)
            else:
                resolvers.append((key, _why(key, gql_type.name, definition, under)))
    return Coverage(tuple(sorted(compiled)), tuple(sorted(audited)), tuple(sorted(resolvers)))

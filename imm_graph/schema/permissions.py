"""Who may read and write which fields: scopes on fields, public fields, and their enforcement.

The rule, for every field a query selects:

1. A field with a `HasScope` permission (``extensions=requires(scope)``) needs that scope,
   whatever else is configured: identifiable fields need ``read:personal``, ``impact`` needs
   ``read:impact``, every core mutation ``write:core``, ``auditLog`` ``admin``.
2. Otherwise, fields of ``Query`` and of every type implementing ``Node`` are public if listed
   in ``IMM_PUBLIC_FIELDS`` (or marked public by a plug-in, see `PUBLIC`, unless listed in
   ``IMM_PRIVATE_FIELDS``); all other such fields need ``read:core``. ``Mutation`` fields are
   never public. A node's opaque ``id`` is never a secret.
3. Fields of other types (connections, edges, payloads, attendance …) take the access of the
   field that returned them.

``admin`` implies every scope. `AccessControl` checks a whole operation before it runs, with
fragments expanded, and refuses it with one ``FORBIDDEN`` error per missing scope, so no SQL
runs for a query that would be refused and no partial answer leaks. The permission classes
check again as each field resolves (defence in depth, and the only check for ``node(id:)``,
whose type is known only at run time: see `check_node_type`).

Plug-ins: put ``extensions=requires("publish:podcast")`` on fields that need a scope, and
``metadata=PUBLIC`` on fields anyone may read (e.g. published episodes' titles). Root fields a
plug-in adds without either need ``read:core``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from strawberry import Info
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from imm_graph.auth import READ_CORE, SCOPES, WRITE_CORE, Principal, principal_of
from imm_graph.config import Settings
from imm_graph.schema import walk

PUBLIC: dict[str, bool] = {"imm_graph.public": True}
"""``strawberry.field(metadata=PUBLIC)``: anyone may read this field (unless IMM_PRIVATE_FIELDS)."""

FORBIDDEN = "FORBIDDEN"
_DEFINITION = "strawberry-definition"


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="requiresScope",
    description="Only API keys with this scope (or admin) may select this field.",
)
class RequiresScope:
    scope: str


class HasScope(BasePermission):
    """Allow the field only to callers whose API key has ``scope`` (or ``admin``)."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        self.message = f"Forbidden: this field needs the {scope} scope"
        self.error_extensions = {"code": FORBIDDEN, "scope": scope}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return principal_of(info.context).has(self.scope)

    @property
    def schema_directive(self) -> object:
        # Shown in schema.graphql, so partners can see which scope each field needs.
        return RequiresScope(scope=self.scope)


def requires(scope: str) -> list[FieldExtension]:
    """``@strawberry.field(extensions=requires(READ_PERSONAL))``."""
    return [PermissionExtension(permissions=[HasScope(scope)])]


def forbidden(
    scope: str, fields: list[str], principal: Principal, nodes: Any = None
) -> GraphQLError:
    listed = ", ".join(fields[:10]) + (" …" if len(fields) > 10 else "")
    if principal.is_anonymous:
        message = (
            f"Forbidden: {listed} need(s) the {scope} scope; without an API key only IMM's "
            "public fields can be read"
        )
    else:
        message = f"Forbidden: this API key lacks the {scope} scope, needed for {listed}"
    return GraphQLError(
        message, nodes=nodes, extensions={"code": FORBIDDEN, "scope": scope, "fields": fields}
    )


@dataclass(frozen=True)
class AccessPolicy:
    """The scope each (type, field) needs, worked out once per schema and settings."""

    explicit: dict[tuple[str, str], str]
    public: frozenset[tuple[str, str]]
    private: frozenset[tuple[str, str]]
    guarded: frozenset[str]  # Query, and the object types implementing Node
    mutation: str | None
    query: str | None
    node_fields: dict[str, tuple[str, ...]]  # guarded type -> its field names

    @classmethod
    def build(cls, schema: GraphQLSchema, settings: Settings) -> AccessPolicy:
        explicit: dict[tuple[str, str], str] = {}
        marked: set[tuple[str, str]] = set()
        guarded: set[str] = set()
        node_fields: dict[str, tuple[str, ...]] = {}
        for type_ in schema.type_map.values():
            if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
                continue
            if any(i.name == "Node" for i in type_.interfaces):
                guarded.add(type_.name)
                node_fields[type_.name] = tuple(type_.fields)
            for name, definition in type_.fields.items():
                field = (definition.extensions or {}).get(_DEFINITION)
                for ext in getattr(field, "extensions", None) or ():
                    for permission in getattr(ext, "permissions", ()):
                        if isinstance(permission, HasScope):
                            explicit[(type_.name, name)] = permission.scope
                if (getattr(field, "metadata", None) or {}).get("imm_graph.public"):
                    marked.add((type_.name, name))
        if schema.query_type is not None:
            guarded.add(schema.query_type.name)
        private = {_pair(entry) for entry in settings.private_fields}
        public = {_pair(entry) for entry in settings.public_fields} | marked
        return cls(
            explicit=explicit, public=frozenset(public), private=frozenset(private),
            guarded=frozenset(guarded),
            mutation=schema.mutation_type.name if schema.mutation_type else None,
            query=schema.query_type.name if schema.query_type else None,
            node_fields=node_fields,
        )

    def required(self, type_name: str, field: str) -> str | None:
        """The scope selecting ``type_name.field`` needs; None when anyone may."""
        scope = self.explicit.get((type_name, field))
        if scope is not None:
            return scope
        if type_name == self.mutation:
            return WRITE_CORE
        if type_name not in self.guarded or (field == "id" and type_name != self.query):
            return None
        if (type_name, field) in self.private or (type_name, "*") in self.private:
            return READ_CORE
        if (type_name, field) in self.public or (type_name, "*") in self.public:
            return None
        return READ_CORE

    def can_read_type(self, principal: Principal, type_name: str) -> str | None:
        """None if ``principal`` may read some field of a node type, else the scope to ask for."""
        fields = self.node_fields.get(type_name, ())
        needed = [self.required(type_name, f) for f in fields if f != "id"]
        if not needed or any(s is None or principal.has(s) for s in needed):
            return None
        return READ_CORE if READ_CORE in needed else sorted(s for s in needed if s)[0]

    def missing(
        self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
        principal: Principal,
    ) -> dict[str, list[tuple[str, FieldNode]]]:
        """Every field the operation selects that ``principal`` may not, grouped by scope."""
        op = walk.operation(document, operation_name)
        root = walk.root_type(schema, op) if op else None
        if op is None or root is None:
            return {}
        named = walk.fragments(document)
        out: dict[str, list[tuple[str, FieldNode]]] = defaultdict(list)

        def visit(selection_set: Any, parent: Any) -> None:
            for selected in walk.collect(schema, selection_set, parent, named):
                if selected.definition is None:
                    continue
                for type_name in _concrete(schema, selected.parent):
                    scope = self.required(type_name, selected.name)
                    if scope is not None and not principal.has(scope):
                        out[scope].append((f"{type_name}.{selected.name}", selected.node))
                if selected.node.selection_set is not None:
                    child = get_named_type(selected.definition.type)
                    visit(selected.node.selection_set, child)

        visit(op.selection_set, root)
        return out


def _concrete(schema: GraphQLSchema, parent: Any) -> Iterator[str]:
    """An interface's field is checked on every type that implements it."""
    if isinstance(parent, GraphQLInterfaceType):
        yield from (t.name for t in schema.get_possible_types(parent))
    else:
        yield parent.name


def _pair(entry: str) -> tuple[str, str]:
    type_name, _, field = entry.strip().partition(".")
    return type_name, field or "*"


def policy_for(schema: Any, settings: Settings) -> AccessPolicy:
    """The policy of a strawberry schema, computed on first use and kept on the schema."""
    cached = getattr(schema, "_imm_access_policy", None)
    if cached is None:
        cached = AccessPolicy.build(schema._schema, settings)
        schema._imm_access_policy = cached
    return cached


class AccessControl(SchemaExtension):
    """Refuse, before execution, an operation that selects a field the caller may not read."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        principal = principal_of(ec.context)
        if not principal.has("admin") and ec.graphql_document is not None:
            policy = policy_for(ec.schema, self.settings)
            missing = policy.missing(
                ec.schema._schema, ec.graphql_document, ec.operation_name, principal
            )
            if missing:
                errors = []
                for scope, found in sorted(missing.items()):
                    names = list(dict.fromkeys(name for name, _ in found))
                    errors.append(forbidden(scope, names, principal, [n for _, n in found[:5]]))
                # Both: later extensions (the SQL fast path) must see the query is refused.
                ec.pre_execution_errors = errors
                ec.result = ExecutionResult(data=None, errors=errors)
        yield


def check_node_type(info: Info, type_name: str) -> None:
    """``node(id:)`` and ``nodes(ids:)`` learn the type from the id: check it before loading."""
    ctx = info.context
    principal = principal_of(ctx)
    if principal.has("admin"):
        return
    scope = policy_for(info.schema, ctx.settings).can_read_type(principal, type_name)
    if scope is not None:
        raise forbidden(scope, [type_name], principal)

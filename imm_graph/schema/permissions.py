"""Who may read and write which fields: scopes on fields, public fields, and their enforcement.

The rule, for every field a query selects:

1. A field with a `HasScope` permission (``extensions=requires(scope)``) needs that scope,
   whatever else is configured: identifiable fields need ``read:personal``, ``impact`` needs
   ``read:impact``, every core mutation ``write:core``, ``auditLog`` ``admin``.
2. Otherwise, fields of ``Query`` and of every type implementing ``Node`` are public if listed
   in ``IMM_PUBLIC_FIELDS`` (or marked `PUBLIC` by a plug-in, unless listed in
   ``IMM_PRIVATE_FIELDS``); all other such fields need ``read:core``. ``Mutation`` fields are
   never public.
3. What only says that an object exists — its ``id``, a connection's ``totalCount``,
   ``pageInfo`` and cursors — needs what reading the object's type needs: nothing if one of its
   fields is public, else that field's scope. (Otherwise ids and counts of projects would leak
   through a public cohort's ``projects``.)
4. Arguments are reads too: a ``filter`` field needs the permission of the fields it compares
   (`metadata.reads`), and an ``orderBy`` field that of the field it sorts by, since both answer
   questions about values the caller may not see. Cursors carry only the row's id.
5. Fields of other types (attendance, payloads …) take the access of the field that returned
   them.

``admin`` implies every scope. `AccessControl` checks a whole operation before it runs, with
fragments expanded (once each: `walk.Walk`), and refuses it with one ``FORBIDDEN`` error per
missing scope, so no SQL runs for a query that would be refused and no partial answer leaks.
The permission classes check again as each field resolves (defence in depth, and the only
check for ``node(id:)``, whose type is known only at run time: see `check_node_type`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_named_type,
)
from strawberry import UNSET, Info
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.schema.cost import is_connection, is_edge
from imm_graph.schema.metadata import PUBLIC, PUBLIC_KEY, READS_KEY
from imm_graph.schema.variables import refused, resolver_arguments
from imm_graph.schema.walk import Selected, Walk, operation, root_type
from imm_graph.security.principal import Principal, principal_of
from imm_graph.security.scopes import ADMIN, READ_CORE, SCOPES, WRITE_CORE

__all__ = ["PUBLIC", "AccessControl", "AccessPolicy", "HasScope", "check_node_type", "requires"]

FORBIDDEN = "FORBIDDEN"
_DEFINITION = "strawberry-definition"
# A connection's own fields: they say how many objects exist and where, nothing about them.
_EXISTENCE_FIELDS = frozenset({"totalCount", "pageInfo", "edges", "nodes", "cursor", "node"})


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="requiresScope",
    description="Only API keys with this scope (or admin) may select this field.",
)
class RequiresScope:
    scope: str


class HasScope(BasePermission):
    """Allow the field only to callers whose API key has ``scope`` (or ``admin``).

    The scope must be known when the schema is built (a plug-in declares its own before its
    fields are used); `AccessPolicy.build` refuses a schema naming an unknown scope.
    """

    def __init__(self, scope: str) -> None:
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


def _strawberry_field(definition: Any) -> Any:
    return (getattr(definition, "extensions", None) or {}).get(_DEFINITION)


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
    connection_nodes: dict[str, str]  # connection or edge type -> the node type it pages
    # Plug-in node types: the scope their fields need unless marked otherwise (None: public).
    type_defaults: dict[str, str | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def build(
        cls, schema: GraphQLSchema, settings: Settings,
        type_defaults: dict[str, str | None] | None = None,
    ) -> AccessPolicy:
        explicit: dict[tuple[str, str], str] = {}
        marked: set[tuple[str, str]] = set()
        guarded: set[str] = set()
        node_fields: dict[str, tuple[str, ...]] = {}
        connection_nodes: dict[str, str] = {}
        for type_ in schema.type_map.values():
            if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
                continue
            if any(i.name == "Node" for i in type_.interfaces):
                guarded.add(type_.name)
                node_fields[type_.name] = tuple(type_.fields)
            if is_edge(type_):
                connection_nodes[type_.name] = get_named_type(type_.fields["node"].type).name
            if is_connection(type_):
                edge = get_named_type(type_.fields["edges"].type)
                connection_nodes[type_.name] = get_named_type(edge.fields["node"].type).name
            for name, definition in type_.fields.items():
                field = _strawberry_field(definition)
                for ext in getattr(field, "extensions", None) or ():
                    for permission in getattr(ext, "permissions", ()):
                        if isinstance(permission, HasScope):
                            if permission.scope not in SCOPES:
                                raise ValueError(
                                    f"{type_.name}.{name} needs the unknown scope "
                                    f"{permission.scope!r}: declare it first"
                                )
                            explicit[(type_.name, name)] = permission.scope
                if (getattr(field, "metadata", None) or {}).get(PUBLIC_KEY):
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
            node_fields=node_fields, connection_nodes=connection_nodes,
            type_defaults=dict(type_defaults or {}),
        )

    def required(self, type_name: str, field: str) -> str | None:
        """The scope selecting ``type_name.field`` needs; None when anyone may."""
        scope = self.explicit.get((type_name, field))
        if scope is not None:
            return scope
        if type_name == self.mutation:
            return WRITE_CORE
        node_type = self.connection_nodes.get(type_name)
        if node_type is not None:
            return self.type_scope(node_type) if field in _EXISTENCE_FIELDS else None
        if type_name not in self.guarded:
            return None
        if field == "id" and type_name != self.query:
            return self.type_scope(type_name)
        if (type_name, field) in self.private or (type_name, "*") in self.private:
            return READ_CORE
        if (type_name, field) in self.public or (type_name, "*") in self.public:
            return None
        if type_name in self.type_defaults:
            return self.type_defaults[type_name]
        return READ_CORE

    def type_scope(self, type_name: str) -> str | None:
        """What knowing that an object of this type exists needs: nothing if one of its
        fields is public, the one scope all its fields need, else ``read:core``."""
        if type_name not in self.guarded:
            return None
        fields = self.node_fields.get(type_name, ())
        needed = {self.required(type_name, f) for f in fields if f != "id"}
        if None in needed or not needed:
            return None
        return needed.pop() if len(needed) == 1 else READ_CORE

    def missing(
        self, ec: ExecutionContext, principal: Principal
    ) -> dict[str, list[tuple[str, FieldNode]]]:
        """Every field (and argument) the operation reads that ``principal`` may not, by scope."""
        schema = ec.schema._schema
        document = ec.graphql_document
        op = operation(document, ec.operation_name) if document is not None else None
        root = root_type(schema, op) if op else None
        if op is None or root is None:
            return {}
        Entry = tuple[str, str, FieldNode]

        def combine(
            fields: tuple[Selected, ...], child: Callable[[Selected], tuple[Entry, ...]]
        ) -> tuple[Entry, ...]:
            out: list[Entry] = []
            for selected in fields:
                if selected.definition is None:
                    continue
                if isinstance(selected.parent, GraphQLInterfaceType) and selected.name == "id":
                    continue  # node(id:) learns the type at run time: check_node_type guards it
                for type_name in _concrete(schema, selected.parent):
                    scope = self.required(type_name, selected.name)
                    if scope is not None and not principal.has(scope):
                        out.append((scope, f"{type_name}.{selected.name}", selected.node))
                out.extend(self._argument_reads(ec, selected, principal))
                if selected.node.selection_set is not None:
                    out.extend(child(selected))
            return tuple(dict.fromkeys(out))

        found = Walk(document, schema).fold(op.selection_set, root, combine, {}, ())
        if op.operation == OperationType.MUTATION:
            # A mutation's payload is what the caller just wrote: its ids are theirs to know.
            found = tuple(e for e in found if not e[1].endswith(".id"))
        grouped: dict[str, list[tuple[str, FieldNode]]] = defaultdict(list)
        for scope, name, node in found:
            grouped[scope].append((name, node))
        return grouped

    def _argument_reads(
        self, ec: ExecutionContext, selected: Selected, principal: Principal
    ) -> Iterator[tuple[str, str, FieldNode]]:
        """What ``filter`` and ``orderBy`` arguments compare or sort by, for `missing`."""
        names = {arg.name.value for arg in selected.node.arguments or ()}
        if not names & {"filter", "orderBy"} or selected.definition is None:
            return
        node_type = self.connection_nodes.get(getattr(selected.child_type, "name", ""))
        arguments = resolver_arguments(ec, selected.definition, selected.node)
        if node_type is None or arguments is None:
            return
        filter, order = arguments.get("filter"), arguments.get("order_by")
        for field in _read_fields(filter, order, node_type, ec.schema._schema):
            scope = self.required(node_type, field)
            if scope is not None and not principal.has(scope):
                yield scope, f"{node_type}.{field} (in {selected.name} arguments)", selected.node


def _read_fields(
    filter: Any, order_by: Any, node_type: str, schema: GraphQLSchema
) -> Iterator[str]:
    """The GraphQL fields of ``node_type`` a filter and an ordering reveal."""
    definition = getattr(type(filter), "__strawberry_definition__", None)
    for field in getattr(definition, "fields", ()):
        value = getattr(filter, field.python_name, None)
        if value is None or value is UNSET or value == []:
            continue
        own = field.graphql_name or _camel(field.python_name)
        yield from (field.metadata or {}).get(READS_KEY, (own,))
    order_field = getattr(order_by, "field", None)
    if isinstance(order_field, Enum):
        yield _graphql_field(schema, node_type, str(order_field.value))


def _graphql_field(schema: GraphQLSchema, type_name: str, column: str) -> str:
    """The GraphQL field showing ``column``, or the column's camelCase name if none does."""
    type_ = schema.get_type(type_name)
    for name, definition in getattr(type_, "fields", {}).items():
        field = _strawberry_field(definition)
        if field is not None and field.python_name == column:
            return name
    return _camel(column)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


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
        defaults = getattr(schema, "_imm_type_scopes", None)
        cached = AccessPolicy.build(schema._schema, settings, defaults)
        schema._imm_access_policy = cached
    return cached


class AccessControl(SchemaExtension):
    """Refuse, before execution, an operation that reads a field the caller may not."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        principal = principal_of(ec.context)
        if not principal.has(ADMIN) and ec.graphql_document is not None and not ec.result:
            missing = policy_for(ec.schema, self.settings).missing(ec, principal)
            if missing:
                errors = []
                for scope, found in sorted(missing.items()):
                    names = list(dict.fromkeys(name for name, _ in found))
                    errors.append(forbidden(scope, names, principal, [n for _, n in found[:5]]))
                # Both: later extensions (the SQL fast path) must see the query is refused.
                ec.pre_execution_errors = errors
                ec.result = ExecutionResult(data=None, errors=errors)
                refused(ec)
        yield


def check_node_type(info: Info, type_name: str) -> None:
    """``node(id:)`` and ``nodes(ids:)`` learn the type from the id: check it before loading."""
    ctx = info.context
    principal = principal_of(ctx)
    scope = policy_for(info.schema, ctx.settings).type_scope(type_name)
    if scope is not None and not principal.has(scope):
        raise forbidden(scope, [type_name], principal)


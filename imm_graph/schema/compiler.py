"""Compile a whole read query into one SQL statement that builds the response JSON in PostgreSQL.

Python GraphQL execution costs 10–20 µs per returned field; a partner's nested list query returns
tens of thousands. PostGraphile and Hasura avoid that cost by letting the database build the JSON,
and so does this module, for the queries it understands: connections (`first/after/last/before`,
`filter`, `orderBy`), plain columns, enums, global IDs, to-one relations and the bounded cohort
lists. Anything else (abstract types, directives, computed fields, fields a caller may
not read) makes `compile_query` return None and the query runs through the ordinary resolvers,
which stay the reference: tests check both paths give the same answer.

It runs after strawberry has parsed and validated the document (see `fast_path.py`), so depth,
token and alias limits apply to it unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from imm_graph.config import Settings
from imm_graph.ids import decode_id, parse_key
from imm_graph.schema import types as t
from imm_graph.schema import walk
from imm_graph.schema.impact import PART_OF
from imm_graph.schema.mapping import (
    SQL,
    Connects,
    Embeds,
    Follows,
    IsNull,
    Lists,
    ListsEither,
    SqlMapping,
    Values,
)
from imm_graph.schema.pagination import Order, PageArgs
from imm_graph.schema.relations import Relation
from imm_graph.services import impact as impact_service
from imm_graph.services.errors import camel, snake

# (GraphQL type name, field name) -> may the caller read it
FieldAllowed = Callable[[str, str], bool]
# A node type's name -> may the caller look one up by id (its type's scope)
NodeAllowed = Callable[[str], bool]
_NONE: frozenset[str] = frozenset()
NODE_INTERFACES = frozenset({"Node"})
# SQL that prints a column's value as the resolvers would
Convert = Callable[[Any], Any]


class NotCompilable(Exception):
    """The query needs something only the resolvers provide."""


@dataclass
class ObjectSpec:
    """How one GraphQL object type maps onto SQL: its columns, and its relation fields as
    declared on the fields themselves (`mapping.py`)."""

    type_name: str
    table: sa.Table
    pk: str
    scalars: dict[str, tuple[str, Convert | None]] = field(default_factory=dict)
    mapped: dict[str, SqlMapping] = field(default_factory=dict)


def _isoformat(value: Any) -> Any:
    """A UTC timestamp printed as Python's `isoformat()` prints it (what the resolvers send):
    microseconds only when there are any, and `+00:00`."""
    utc = sa.func.timezone(_text("UTC"), value)
    whole = sa.func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))
    micro = sa.func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
    return sa.case((sa.func.date_trunc(_text("second"), value) == value, whole), else_=micro)


def _enum(names: Mapping[Any, str]) -> Convert:
    return lambda value: sa.case(names, value=value)


def _scalars(cls: type, table: sa.Table) -> dict[str, tuple[str, Convert | None]]:
    """Plain fields of a strawberry type that are columns of its table, by GraphQL name."""
    out: dict[str, tuple[str, Convert | None]] = {}
    for f in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if f.base_resolver is not None or f.python_name not in table.c:
            continue
        kind = f.type.of_type if isinstance(f.type, StrawberryOptional) else f.type
        convert: Convert | None = None
        if kind is dt.datetime:
            convert = _isoformat
        elif isinstance(kind, StrawberryEnumDefinition):
            convert = _enum({v.value: v.name for v in kind.values})
        elif not (isinstance(kind, StrawberryList) or kind in (str, int, float, bool, dt.date)):
            continue
        out[f.graphql_name or camel(f.python_name)] = (f.python_name, convert)
    return out


def specs(tables: Mapping[str, tuple[sa.Table, type]]) -> dict[str, ObjectSpec]:
    """Every type's spec, read off the strawberry classes: plain fields that are columns of
    the type's table, and fields carrying a SQL mapping in their metadata."""
    out: dict[str, ObjectSpec] = {}
    for type_name, (table, cls) in tables.items():
        pk = next(iter(table.primary_key)).name
        spec = out[type_name] = ObjectSpec(type_name, table, pk, _scalars(cls, table))
        for f in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            mapping = (f.metadata or {}).get(SQL)
            if mapping is not None:
                spec.mapped[f.graphql_name or camel(f.python_name)] = mapping
    return out


SPECS = specs(t.SQL_TYPES)


def _text(value: str) -> sa.ColumnElement[Any]:
    """An inline SQL string literal; only ever called with GraphQL names and type names."""
    return sa.literal_column("'" + value.replace("'", "''") + "'")


def _base64url(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """Unpadded URL-safe base64 of a text, as imm_graph.ids and pagination encode."""
    encoded = sa.func.encode(sa.func.convert_to(expr, _text("UTF8")), _text("base64"))
    return sa.func.translate(
        sa.func.rtrim(encoded, _text("=")), sa.literal_column("E'+/\\n'"), _text("-_")
    )


def _object(pairs: list[tuple[str, sa.ColumnElement[Any]]]) -> sa.ColumnElement[Any]:
    return sa.func.json_build_object(*(x for key, value in pairs for x in (_text(key), value)))


@dataclass
class _Query:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    settings: Settings
    allowed: FieldAllowed
    strawberry_schema: strawberry.Schema
    # Per row alias: columns known to equal a column of an enclosing row (a list's parent key).
    known: dict[int, dict[str, Any]] = field(default_factory=dict)

    def column(self, row: Any, name: str) -> Any:
        """A row's column, or the enclosing row's equal column when there is one.

        A subquery that only refers to enclosing rows is an InitPlan to PostgreSQL: computed
        once per parent instead of once per row (e.g. the cohorts of every session of a hub).
        """
        return self.known.get(id(row), {}).get(name, row.c[name])

    def fields(
        self, selection_set: SelectionSetNode | None, type_name: str, also: frozenset[str] = _NONE
    ) -> Iterator[FieldNode]:
        """The fields of a selection set with fragments inlined, in response order.

        ``also`` names the interfaces the object is selected through (``node(id:)`` selects on
        ``Node``): fragments on them apply, fragments on other concrete types do not."""
        if selection_set is None:
            raise NotCompilable("a selection set is missing")
        keys: set[str] = set()
        for node in self._flatten(selection_set, type_name, also):
            key = (node.alias or node.name).value
            if key in keys:
                raise NotCompilable("a field selected twice needs merging")
            keys.add(key)
            yield node

    def _flatten(
        self, selection_set: SelectionSetNode, type_name: str, also: frozenset[str] = _NONE
    ) -> Iterator[FieldNode]:
        for sel in selection_set.selections:
            if sel.directives:
                raise NotCompilable("directives")
            if isinstance(sel, FieldNode):
                yield sel
            elif isinstance(sel, InlineFragmentNode):
                condition = sel.type_condition.name.value if sel.type_condition else type_name
                if condition == type_name or condition in also:
                    yield from self._flatten(sel.selection_set, type_name, also)
                elif not also:
                    raise NotCompilable("a fragment on another type")
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments[sel.name.value]
                condition = fragment.type_condition.name.value
                if fragment.directives:
                    raise NotCompilable("directives")
                if condition == type_name or condition in also:
                    yield from self._flatten(fragment.selection_set, type_name, also)
                elif not also:
                    raise NotCompilable("a fragment on another type")

    def arguments(self, parent: GraphQLObjectType, node: FieldNode) -> dict[str, Any]:
        """Arguments as the resolver would receive them (strawberry input objects included)."""
        definition: GraphQLField = parent.fields[node.name.value]
        raw = get_argument_values(definition, node, self.variables)
        field_def = definition.extensions["strawberry-definition"]
        converter = self.strawberry_schema.schema_converter
        return convert_arguments(
            raw, field_def.arguments, converter.scalar_registry, self.strawberry_schema.config
        )

    def page_args(self, args: Mapping[str, Any]) -> PageArgs:
        page = PageArgs(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
        try:
            return page.checked(self.settings.default_page_size, self.settings.max_page_size)
        except ValueError:
            raise NotCompilable("invalid paging arguments: the resolvers report them") from None

    def object_type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    # --- objects ------------------------------------------------------------------------------

    def node_json(
        self, spec: ObjectSpec, row: Any, selection: SelectionSetNode | None,
        also: frozenset[str] = _NONE,
    ) -> Any:
        gql_type = self.object_type(spec.type_name)
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for node in self.fields(selection, spec.type_name, also):
            name = node.name.value
            key = (node.alias or node.name).value
            if name == "__typename":
                pairs.append((key, _text(spec.type_name)))
                continue
            if not self.allowed(spec.type_name, name):
                raise NotCompilable("a field the caller may not read: the resolvers refuse it")
            pairs.append((key, self._field(spec, gql_type, row, node)))
        return _object(pairs)

    def node_lookup(self, value: Any, node: FieldNode, node_allowed: NodeAllowed) -> Any:
        """``node(id:)``: the type and key come from the id, known when compiling."""
        try:
            type_name, key = decode_id(str(value))
            spec = SPECS[type_name]
            pk = parse_key(key, int if spec.pk == "id" else str)
        except (ValueError, KeyError):
            raise NotCompilable("not an ID the compiler knows: the resolver reports it") from None
        if not node_allowed(type_name):
            raise NotCompilable("a type the caller may not look up: the resolver refuses it")
        alias = spec.table.alias()
        return (
            sa.select(self.node_json(spec, alias, node.selection_set, NODE_INTERFACES))
            .where(alias.c[spec.pk] == pk)
            .scalar_subquery()
        )

    def _field(
        self, spec: ObjectSpec, gql_type: GraphQLObjectType, row: Any, node: FieldNode
    ) -> sa.ColumnElement[Any]:
        name = node.name.value
        if name == "id":
            return _base64url(sa.func.concat(_text(spec.type_name + ":"), row.c[spec.pk]))
        if name in spec.scalars:
            column, convert = spec.scalars[name]
            return convert(row.c[column]) if convert else row.c[column]
        mapping = spec.mapped.get(name)
        if isinstance(mapping, Follows):
            target = SPECS[mapping.target]
            alias = target.table.alias()
            return (
                sa.select(self.node_json(target, alias, node.selection_set))
                .where(alias.c[target.pk] == self.column(row, mapping.fk))
                .correlate_except(alias)
                .scalar_subquery()
            )
        if isinstance(mapping, Connects):
            definition = gql_type.fields[name]
            return self._nested_connection(mapping.relation, row, spec, definition, node, gql_type)
        if isinstance(mapping, Lists):
            return self._bounded_list(mapping.relation, mapping.target, row.c[spec.pk], node)
        if isinstance(mapping, ListsEither):
            cases = [
                (
                    self.column(row, column).is_not(None),
                    self._bounded_list(relation, mapping.target, self.column(row, column), node),
                )
                for column, relation in mapping.choices
            ]
            return sa.case(*cases, else_=sa.literal_column("'[]'::json"))
        if isinstance(mapping, Values):
            return self._values(mapping.relation, mapping.column, row.c[spec.pk])
        if isinstance(mapping, Embeds):
            return self._embedded(mapping, row, node)
        if isinstance(mapping, IsNull):
            return row.c[mapping.column].is_(None)
        raise NotCompilable(f"{spec.type_name}.{name} is computed by a resolver")

    def impact(self, parent: GraphQLObjectType, node: FieldNode) -> sa.ColumnElement[Any]:
        """``impact``: the service's own totals statement (`services.impact.totals_query`),
        for the parts selected, as JSON. Outcomes are judged in Python by `scoring.change`:
        a query selecting them goes to the resolver."""
        arguments = self.arguments(parent, node)
        given = arguments.get("filter")
        plain = given.plain() if given is not None else impact_service.ImpactFilter()
        selected = list(self.fields(node.selection_set, "Impact"))
        parts = frozenset(PART_OF[s.name.value] for s in selected if s.name.value in PART_OF)
        if impact_service.OUTCOMES in parts:
            raise NotCompilable("outcomes are judged by scoring.change, in Python")
        statement = impact_service.totals_query(plain, parts)
        totals = statement.subquery() if statement is not None else None
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for sub in selected:
            key, name = (sub.alias or sub.name).value, sub.name.value
            if name == "__typename":
                pairs.append((key, _text("Impact")))
            elif name == "attendance":
                pairs.append((key, self._embedded(t.ATTENDANCE, totals, sub)))
            else:
                pairs.append((key, totals.c[snake(name)]))  # type: ignore[union-attr]
        if totals is None:
            return _object(pairs)
        return sa.select(_object(pairs)).select_from(totals).scalar_subquery()

    def _embedded(self, mapping: Embeds, row: Any, node: FieldNode) -> sa.ColumnElement[Any]:
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for sub in self.fields(node.selection_set, mapping.type_name):
            key, name = (sub.alias or sub.name).value, sub.name.value
            if name == "__typename":
                pairs.append((key, _text(mapping.type_name)))
            elif name in mapping.sums:
                total = sum((row.c[c] for c in mapping.sums[name]), sa.literal_column("0"))
                pairs.append((key, total))
            elif name in mapping.columns:
                pairs.append((key, row.c[mapping.columns[name]]))
            else:
                raise NotCompilable(f"{mapping.type_name}.{name}")
        return _object(pairs)

    def _values(self, relation: Relation, column: str, parent_key: Any) -> sa.ColumnElement[Any]:
        return _json_list(relation, parent_key, lambda child: child.c[column])

    def _bounded_list(
        self, relation: Relation, target: str, parent_key: Any, node: FieldNode
    ) -> sa.ColumnElement[Any]:
        spec = SPECS[target]
        return _json_list(
            relation, parent_key, lambda child: self.node_json(spec, child, node.selection_set)
        )

    # --- connections --------------------------------------------------------------------------

    def _nested_connection(
        self,
        relation: Relation,
        row: Any,
        spec: ObjectSpec,
        definition: GraphQLField,
        node: FieldNode,
        parent_type: GraphQLObjectType,
    ) -> sa.ColumnElement[Any]:
        child = relation.child.alias()
        link = relation.link.alias() if relation.link is not None else None
        source, parent = relation.source(child, link)
        order = Order(tuple((child.c[c], desc) for c, desc in relation.order))
        args = self.page_args(self.arguments(parent_type, node))
        known = {relation.parent_key: self.column(row, spec.pk)} if relation.link is None else {}
        return self.connection(
            definition, node, source, child, [parent == row.c[spec.pk]], order, args, row, known
        )

    def connection(
        self,
        definition: GraphQLField,
        node: FieldNode,
        source: Any,
        child: Any,
        where: list[Any],
        order: Order,
        args: PageArgs,
        outer: Any | None,
        known: dict[str, Any] | None = None,
    ) -> sa.ColumnElement[Any]:
        """A page of rows as `{nodes, edges, pageInfo, totalCount}` JSON.

        The inner query picks the page's rows (plus one, to tell whether more exist); the
        outer one builds node JSON for the page's rows only and aggregates it in order.
        """
        connection_type = get_named_type(definition.type)
        assert isinstance(connection_type, GraphQLObjectType)
        node_type: GraphQLNamedType = get_named_type(connection_type.fields["nodes"].type)
        spec = SPECS.get(node_type.name)
        if spec is None:
            raise NotCompilable("an abstract or unknown node type")

        keyset = []
        try:
            if args.after:
                keyset.append(order.beyond(order.decode(args.after, "after"), after=True))
            if args.before:
                keyset.append(order.beyond(order.decode(args.before, "before"), after=False))
        except ValueError:
            raise NotCompilable("a bad cursor: the resolvers report it") from None

        clauses = order.clauses(reverse=args.backwards)
        selected = list(self.fields(node.selection_set, connection_type.name))
        columns: list[Any] = [*child.c, sa.func.row_number().over(order_by=clauses).label("rn")]
        node_sets: dict[str, Any] = {}
        needs_cursor = False
        for sub in selected:
            if sub.name.value == "nodes":
                node_sets["nodes"] = sub.selection_set
            elif sub.name.value == "pageInfo":
                needs_cursor = True
            elif sub.name.value == "edges":
                edge_type = connection_type.name.replace("Connection", "Edge")
                for edge_field in self.fields(sub.selection_set, edge_type):
                    if edge_field.name.value == "node":
                        node_sets["edges"] = edge_field.selection_set
                    elif edge_field.name.value == "cursor":
                        needs_cursor = True
        if needs_cursor:  # encoding a cursor per row costs: only when one is asked for
            key = sa.func.json_build_array(order.key)  # as pagination.encode_cursor prints it
            columns.append(_base64url(sa.cast(key, sa.Text)).label("c"))
        inner = sa.select(*columns).select_from(source).where(*where, *keyset)
        if outer is not None:
            inner = inner.correlate(outer)
        inner = inner.order_by(*clauses).limit(args.size + 1).subquery()
        if known:
            self.known[id(inner)] = known
        json = {label: self.node_json(spec, inner, sel) for label, sel in node_sets.items()}

        within = inner.c.rn <= args.size
        in_order = inner.c.rn.desc() if args.backwards else inner.c.rn
        reverse = inner.c.rn if args.backwards else inner.c.rn.desc()
        more = sa.func.count() > args.size

        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for sub in selected:
            key, name = (sub.alias or sub.name).value, sub.name.value
            if name == "__typename":
                pairs.append((key, _text(connection_type.name)))
            elif name == "totalCount":
                count = sa.select(sa.func.count()).select_from(source).where(*where)
                if outer is not None:
                    count = count.correlate(outer)
                pairs.append((key, count.scalar_subquery()))
            elif name == "nodes":
                pairs.append((key, _agg(json["nodes"], in_order, within)))
            elif name == "edges":
                edges = self._edges(
                    sub, connection_type, inner, json.get("edges"), in_order, within
                )
                pairs.append((key, edges))
            elif name == "pageInfo":
                start = array_agg(aggregate_order_by(inner.c.c, in_order)).filter(within)[1]
                end = array_agg(aggregate_order_by(inner.c.c, reverse)).filter(within)[1]
                info = {
                    "hasNextPage": sa.true() if args.before else sa.false(),
                    "hasPreviousPage": sa.true() if args.after else sa.false(),
                    "startCursor": start,
                    "endCursor": end,
                    "__typename": _text("PageInfo"),
                }
                info["hasPreviousPage" if args.backwards else "hasNextPage"] = more
                page = [
                    ((p.alias or p.name).value, info[p.name.value])
                    for p in self.fields(sub.selection_set, "PageInfo")
                ]
                pairs.append((key, _object(page)))
            else:
                raise NotCompilable(f"{connection_type.name}.{name}")
        if not ({"nodes", "edges", "pageInfo"} & {sub.name.value for sub in selected}):
            return sa.select(_object(pairs)).scalar_subquery()  # no page rows needed, one row
        return sa.select(_object(pairs)).select_from(inner).scalar_subquery()

    def _edges(
        self,
        node: FieldNode,
        connection_type: GraphQLObjectType,
        inner: Any,
        node_json: Any,
        in_order: Any,
        within: Any,
    ) -> sa.ColumnElement[Any]:
        edge_type = connection_type.name.replace("Connection", "Edge")
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for sub in self.fields(node.selection_set, edge_type):
            key, name = (sub.alias or sub.name).value, sub.name.value
            value = {"cursor": inner.c.c, "__typename": _text(edge_type)}.get(name)
            if name == "node":
                value = node_json
            if value is None:
                raise NotCompilable(f"{edge_type}.{name}")
            pairs.append((key, value))
        return _agg(_object(pairs), in_order, within)


def _agg(value: Any, order: Any, within: Any) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(
        sa.func.json_agg(aggregate_order_by(value, order)).filter(within),
        sa.literal_column("'[]'::json"),
    )


_ROOT_TYPENAME: Any = _text("Query")


@dataclass(frozen=True)
class Constant:
    """An answer that needs no database at all (``{ __typename }``): its ``data`` JSON text."""

    text: str


def compile_query(
    strawberry_schema: strawberry.Schema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    settings: Settings,
    allowed: FieldAllowed,
    root_lists: Mapping[str, Any],
    node_allowed: NodeAllowed | None = None,
) -> sa.Select[Any] | Constant | None:
    """One SELECT returning the whole `data` object as JSON text, a `Constant` when no table is
    read, or None to use the resolvers."""
    operation = walk.operation(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        return None
    schema = strawberry_schema._schema
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):  # invalid variables: the resolvers report them
        return None
    query = _Query(
        schema=schema,
        fragments=walk.fragments(document),
        variables=coerced,
        settings=settings,
        allowed=allowed,
        strawberry_schema=strawberry_schema,
    )
    root_type = schema.query_type
    assert root_type is not None
    try:
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for node in query.fields(operation.selection_set, root_type.name):
            name, key = node.name.value, (node.alias or node.name).value
            if name == "__typename":
                pairs.append((key, _ROOT_TYPENAME))
                continue
            if name in ("node", "nodes"):
                if node_allowed is None:
                    return None
                arguments = query.arguments(root_type, node)
                ids = [arguments["id"]] if name == "node" else list(arguments["ids"])
                if len(ids) > settings.max_page_size:
                    return None  # the resolver reports it
                lookups = [query.node_lookup(value, node, node_allowed) for value in ids]
                pairs.append((key, lookups[0] if name == "node" else
                              sa.func.json_build_array(*lookups)))
                continue
            if name == "impact" and allowed(root_type.name, name):
                pairs.append((key, query.impact(root_type, node)))
                continue
            root = root_lists.get(name)
            if root is None or not allowed(root_type.name, name):
                return None
            arguments = query.arguments(root_type, node)
            where, order = root.spec(arguments.get("filter"), arguments.get("order_by"))
            args = query.page_args(arguments)
            definition = root_type.fields[name]
            pairs.append(
                (
                    key,
                    query.connection(
                        definition, node, root.table, root.table, where, order, args, None
                    ),
                )
            )
    except (NotCompilable, KeyError, ValueError):
        return None
    if all(value is _ROOT_TYPENAME for _, value in pairs):
        return Constant(orjson.dumps({key: root_type.name for key, _ in pairs}).decode())
    return sa.select(sa.cast(_object(pairs), sa.Text))


def _json_list(
    relation: Relation, parent_key: Any, item: Callable[[Any], sa.ColumnElement[Any]]
) -> sa.ColumnElement[Any]:
    """A JSON array of one item per related row, in the relation's order (``[]`` when none)."""
    child = relation.child.alias()
    link = relation.link.alias() if relation.link is not None else None
    source, parent = relation.source(child, link)
    order = [child.c[c].desc() if desc else child.c[c] for c, desc in relation.order]
    items = sa.func.json_agg(aggregate_order_by(item(child), *order))
    return (
        sa.select(sa.func.coalesce(items, sa.literal_column("'[]'::json")))
        .select_from(source)
        .where(parent == parent_key)
        .correlate_except(child, *([link] if link is not None else []))
        .scalar_subquery()
    )

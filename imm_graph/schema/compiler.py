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
from imm_graph.schema import relations as r
from imm_graph.schema import types as t
from imm_graph.schema import walk
from imm_graph.schema.pagination import Order, PageArgs
from imm_graph.schema.relations import Relation
from imm_graph.services.errors import camel

# (GraphQL type name, field name) -> may the caller read it
FieldAllowed = Callable[[str, str], bool]
# SQL that prints a column's value as the resolvers would
Convert = Callable[[Any], Any]


class NotCompilable(Exception):
    """The query needs something only the resolvers provide."""


@dataclass
class ObjectSpec:
    """How one GraphQL object type maps onto SQL."""

    type_name: str
    table: sa.Table
    pk: str
    scalars: dict[str, tuple[str, Convert | None]] = field(default_factory=dict)
    to_one: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (type, fk column)
    connections: dict[str, Relation] = field(default_factory=dict)
    lists: dict[str, Relation] = field(default_factory=dict)


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


def _specs() -> dict[str, ObjectSpec]:
    specs: dict[str, ObjectSpec] = {}
    for type_name, (table, cls) in t.NODE_TYPES.items():
        pk = next(iter(table.primary_key)).name
        specs[type_name] = ObjectSpec(type_name, table, pk, _scalars(cls, table))
    s = specs
    s["Organisation"].connections |= {
        "hubs": r.ORGANISATION_HUBS,
        "partnerHubs": r.ORGANISATION_PARTNER_HUBS,
        "projects": r.ORGANISATION_PROJECTS,
        "stakeholders": r.ORGANISATION_STAKEHOLDERS,
    }
    s["Programme"].connections |= {"projects": r.PROGRAMME_PROJECTS, "hubs": r.PROGRAMME_HUBS}
    s["Hub"].to_one |= {
        "hostOrganisation": ("Organisation", "host_organisation_id"),
        "programme": ("Programme", "programme_id"),
    }
    s["Hub"].connections |= {"partners": r.HUB_PARTNERS, "sessions": r.HUB_SESSIONS}
    s["Hub"].lists |= {"cohorts": r.HUB_COHORTS}
    s["Project"].to_one |= {
        "programme": ("Programme", "programme_id"),
        "leadOrganisation": ("Organisation", "lead_organisation_id"),
    }
    s["Project"].connections |= {"partners": r.PROJECT_PARTNERS, "sessions": r.PROJECT_SESSIONS}
    s["Project"].lists |= {"cohorts": r.PROJECT_COHORTS}
    s["Session"].to_one |= {"hub": ("Hub", "hub_id"), "project": ("Project", "project_id")}
    s["Stakeholder"].to_one |= {
        "kind": ("StakeholderKind", "kind_code"),
        "organisation": ("Organisation", "organisation_id"),
    }
    s["ClinicalCohort"].connections |= {"hubs": r.COHORT_HUBS, "projects": r.COHORT_PROJECTS}
    s["Participant"].lists |= {"cohorts": r.PARTICIPANT_COHORTS}
    s["Participant"].connections |= {
        "enrolments": r.PARTICIPANT_ENROLMENTS,
        "assessments": r.PARTICIPANT_ASSESSMENTS,
    }
    for name in ("Enrolment", "OutcomeAssessment"):
        s[name].to_one |= {
            "participant": ("Participant", "participant_id"),
            "hub": ("Hub", "hub_id"),
            "project": ("Project", "project_id"),
        }
    s["TrainingDelivery"].to_one |= {
        "programme": ("Programme", "programme_id"),
        "organisation": ("Organisation", "organisation_id"),
    }
    return specs


SPECS = _specs()


def _text(value: str) -> sa.ColumnElement[Any]:
    """An inline SQL string literal; only ever called with GraphQL names and type names."""
    return sa.literal_column("'" + value.replace("'", "''") + "'")


def _base64url(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """Unpadded URL-safe base64 of a text, as imm_graph.schema.ids and pagination encode."""
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

    def fields(self, selection_set: SelectionSetNode | None, type_name: str) -> Iterator[FieldNode]:
        """The fields of a selection set with fragments inlined, in response order."""
        if selection_set is None:
            raise NotCompilable("a selection set is missing")
        keys: set[str] = set()
        for node in self._flatten(selection_set, type_name):
            key = (node.alias or node.name).value
            if key in keys:
                raise NotCompilable("a field selected twice needs merging")
            keys.add(key)
            yield node

    def _flatten(self, selection_set: SelectionSetNode, type_name: str) -> Iterator[FieldNode]:
        for sel in selection_set.selections:
            if sel.directives:
                raise NotCompilable("directives")
            if isinstance(sel, FieldNode):
                yield sel
            elif isinstance(sel, InlineFragmentNode):
                if sel.type_condition and sel.type_condition.name.value != type_name:
                    raise NotCompilable("a fragment on another type")
                yield from self._flatten(sel.selection_set, type_name)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments[sel.name.value]
                if fragment.directives or fragment.type_condition.name.value != type_name:
                    raise NotCompilable("a fragment on another type")
                yield from self._flatten(fragment.selection_set, type_name)

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

    def node_json(self, spec: ObjectSpec, row: Any, selection: SelectionSetNode | None) -> Any:
        gql_type = self.object_type(spec.type_name)
        pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
        for node in self.fields(selection, spec.type_name):
            name = node.name.value
            key = (node.alias or node.name).value
            if name == "__typename":
                pairs.append((key, _text(spec.type_name)))
                continue
            if not self.allowed(spec.type_name, name):
                raise NotCompilable("a field the caller may not read: the resolvers refuse it")
            pairs.append((key, self._field(spec, gql_type, row, node)))
        return _object(pairs)

    def _field(
        self, spec: ObjectSpec, gql_type: GraphQLObjectType, row: Any, node: FieldNode
    ) -> sa.ColumnElement[Any]:
        name = node.name.value
        if name == "id":
            return _base64url(sa.func.concat(_text(spec.type_name + ":"), row.c[spec.pk]))
        if name in spec.scalars:
            column, convert = spec.scalars[name]
            return convert(row.c[column]) if convert else row.c[column]
        if name in spec.to_one:
            target_name, fk = spec.to_one[name]
            target = SPECS[target_name]
            alias = target.table.alias()
            return (
                sa.select(self.node_json(target, alias, node.selection_set))
                .where(alias.c[target.pk] == self.column(row, fk))
                .correlate_except(alias)
                .scalar_subquery()
            )
        if name in spec.lists:
            return self._bounded_list(spec.lists[name], row.c[spec.pk], row, node)
        if name in spec.connections:
            relation = spec.connections[name]
            definition = gql_type.fields[name]
            return self._nested_connection(relation, row, spec, definition, node, gql_type)
        if spec.type_name == "Session":
            return self._session_field(row, node)
        raise NotCompilable(f"{spec.type_name}.{name} is computed by a resolver")

    def _session_field(self, row: Any, node: FieldNode) -> sa.ColumnElement[Any]:
        name = node.name.value
        if name == "attendance":
            columns = ("children_young_people", "older_people", "staff", "volunteers", "families")
            pairs: list[tuple[str, sa.ColumnElement[Any]]] = []
            for sub in self.fields(node.selection_set, "Attendance"):
                key = (sub.alias or sub.name).value
                field_name = sub.name.value
                if field_name == "__typename":
                    pairs.append((key, _text("Attendance")))
                elif field_name == "total":
                    pairs.append((key, sum((row.c[c] for c in columns), sa.literal_column("0"))))
                else:
                    column = {
                        "childrenYoungPeople": "children_young_people",
                        "olderPeople": "older_people",
                    }.get(field_name, field_name)
                    pairs.append((key, row.c[column]))
            return _object(pairs)
        if name == "cohorts":
            hub_id, project_id = self.column(row, "hub_id"), self.column(row, "project_id")
            return sa.case(
                (hub_id.is_not(None), self._bounded_list(r.HUB_COHORTS, hub_id, row, node)),
                else_=self._bounded_list(r.PROJECT_COHORTS, project_id, row, node),
            )
        raise NotCompilable(f"Session.{name}")

    def _bounded_list(
        self, relation: Relation, parent_key: Any, row: Any, node: FieldNode
    ) -> sa.ColumnElement[Any]:
        spec = SPECS[_type_of(relation)]
        child = relation.child.alias()
        link = relation.link.alias() if relation.link is not None else None
        source, parent = relation.source(child, link)
        order = [child.c[c].desc() if desc else child.c[c] for c, desc in relation.order]
        items = sa.func.json_agg(
            aggregate_order_by(self.node_json(spec, child, node.selection_set), *order)
        )
        return (
            sa.select(sa.func.coalesce(items, sa.literal_column("'[]'::json")))
            .select_from(source)
            .where(parent == parent_key)
            .correlate_except(child, *([link] if link is not None else []))
            .scalar_subquery()
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
            keys = sa.func.json_build_array(*(c for c, _ in order.columns))
            columns.append(_base64url(sa.cast(keys, sa.Text)).label("c"))
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


def _type_of(relation: Relation) -> str:
    for name, (table, _) in t.NODE_TYPES.items():
        if table is relation.child:
            return name
    raise NotCompilable(relation.name)


def compile_query(
    strawberry_schema: strawberry.Schema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    settings: Settings,
    allowed: FieldAllowed,
    root_lists: Mapping[str, Any],
) -> sa.Select[Any] | None:
    """One SELECT returning the whole `data` object as JSON text, or None to use resolvers."""
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
                pairs.append((key, _text(root_type.name)))
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
    return sa.select(sa.cast(_object(pairs), sa.Text))

"""Query cost: refuse, before it runs, a query that could return too many objects.

Depth and alias limits do not bound the work: ``organisations(first: 100) { hubs(first: 100)
{ sessions(first: 100) … } }`` is shallow and costs a million rows. The estimate is the
number of objects (rows) a query can return at most:

- a connection (a field with ``first``/``last``) returns parents × page size objects, the page
  size being the argument (variables resolved, capped at the maximum page size) or the default;
- a single object of a ``Node`` type costs one per parent (``hostOrganisation``);
- ``nodes(ids:)`` costs one per id; other lists (a hub's cohorts) are short by nature and
  count one per parent;
- fields inside fragments count wherever the fragment is spread.

Over ``IMM_MAX_QUERY_COST`` the query is refused with ``QUERY_TOO_COSTLY``. This module also
names the codes of the depth, alias and token limits (strawberry's own extensions report plain
messages; the HTTP endpoint adds the code, see `limit_code`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from imm_graph.schema import walk

TOO_COSTLY = "QUERY_TOO_COSTLY"
# Strawberry's limiters report plain messages; these give them codes clients can rely on.
_LIMIT_CODES = (
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found. Allowed", "TOO_MANY_ALIASES"),
    ("Document contains more than", "QUERY_TOO_LARGE"),
)


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= type_.fields.keys()


def _is_edge(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"cursor", "node"} <= type_.fields.keys()


def _is_node(type_: Any) -> bool:
    if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
        return True
    return isinstance(type_, GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces)


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def estimate_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None,
    variables: dict[str, Any] | None, default_page: int, max_page: int,
) -> int:
    op = walk.operation(document, operation_name)
    root = walk.root_type(schema, op) if op else None
    if op is None or root is None:
        return 0
    named = walk.fragments(document)
    variables = variables or {}

    def argument(selected: walk.Selected, name: str) -> Any:
        for arg in selected.node.arguments or ():
            if arg.name.value == name:
                return value_from_ast_untyped(arg.value, variables)
        return None

    def page_size(selected: walk.Selected) -> int:
        for name in ("first", "last"):
            value = argument(selected, name)
            if isinstance(value, int) and value >= 0:
                return min(value, max_page)
        return default_page

    def visit(selection_set: Any, parent: Any, multiplier: int) -> int:
        total = 0
        for selected in walk.collect(schema, selection_set, parent, named):
            if selected.definition is None or selected.node.selection_set is None:
                continue  # scalars, enums and introspection cost nothing here
            child = get_named_type(selected.definition.type)
            count = multiplier
            if (_is_connection(parent) and selected.name in ("edges", "nodes")) or (
                _is_edge(parent) and selected.name == "node"
            ):
                cost = 0  # the connection field already counted these objects
            elif _is_connection(child):
                count = multiplier * page_size(selected)
                cost = count
            elif _is_list(selected.definition.type):
                ids = argument(selected, "ids")
                count = multiplier * (len(ids) if isinstance(ids, list) else 1)
                cost = count if _is_node(child) else 0
            else:
                cost = multiplier if _is_node(child) else 0
            total += cost + visit(selected.node.selection_set, child, count)
        return total

    return visit(op.selection_set, root, 1)


class QueryCostLimiter(SchemaExtension):
    """Refuse operations whose estimated cost exceeds ``max_cost`` (see the module docstring)."""

    def __init__(self, max_cost: int, default_page: int, max_page: int) -> None:
        self.max_cost = max_cost
        self.default_page = default_page
        self.max_page = max_page

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if not (ec.result or ec.pre_execution_errors) and ec.graphql_document is not None:
            cost = estimate_cost(
                ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables,
                self.default_page, self.max_page,
            )
            if cost > self.max_cost:
                error = GraphQLError(
                    f"Query too costly: it could return {cost} objects, more than the "
                    f"{self.max_cost} allowed. Ask for smaller pages (first/last) or fewer "
                    "nested lists.",
                    extensions={"code": TOO_COSTLY, "cost": cost, "maxCost": self.max_cost},
                )
                ec.pre_execution_errors = [error]
                ec.result = ExecutionResult(data=None, errors=[error])
        yield


def limit_code(error: GraphQLError) -> str | None:
    """The documented code of a depth, alias or token limit error (the endpoint adds it)."""
    if error.original_error is not None:
        return None
    return next((code for text, code in _LIMIT_CODES if text in error.message), None)

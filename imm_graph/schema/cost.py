"""Query cost: refuse, before it runs, a query that could return too many objects.

Depth and alias limits do not bound the work: ``organisations(first: 100) { hubs(first: 100)
{ sessions(first: 100) … } }`` is shallow and costs a million rows. The estimate is the
number of objects (rows) a query can return at most:

- a connection (a field with ``first``/``last``) returns parents × page size objects, the page
  size being the argument (variables resolved *with their defaults*, capped at the maximum page
  size) or the default page size;
- a single object of a ``Node`` type costs one per parent (``hostOrganisation``);
- ``nodes(ids:)`` costs one per id; other lists cost the most they can hold (a field marked
  ``bounded(n)``, such as a hub's cohorts, else the maximum page size);
- fields inside fragments count wherever the fragment is spread (computed once per fragment,
  so the estimate is linear in the document whatever it multiplies out to).

Over ``IMM_MAX_QUERY_COST`` the query is refused with ``QUERY_TOO_COSTLY``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from imm_graph.schema.metadata import MAX_ITEMS_KEY
from imm_graph.schema.variables import coerced_variables, refused
from imm_graph.schema.walk import Selected, Walk, operation, root_type
from imm_graph.security.principal import principal_of

TOO_COSTLY = "QUERY_TOO_COSTLY"
_TOKEN_LIMIT_TEXT = "Document contains more than"


def is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= type_.fields.keys()


def is_edge(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"cursor", "node"} <= type_.fields.keys()


def _is_node(type_: Any) -> bool:
    if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
        return True
    return isinstance(type_, GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces)


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def argument(selected: Selected, name: str, variables: Mapping[str, Any]) -> Any:
    for arg in selected.node.arguments or ():
        if arg.name.value == name:
            return value_from_ast_untyped(arg.value, variables)
    return None


def estimate_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None,
    variables: Mapping[str, Any] | None, default_page: int, max_page: int,
) -> int:
    """The most objects the operation can return; ``variables`` are the coerced values."""
    op = operation(document, operation_name)
    root = root_type(schema, op) if op else None
    if op is None or root is None:
        return 0
    values = variables or {}

    def page_size(selected: Selected) -> int:
        for name in ("first", "last"):
            value = argument(selected, name, values)
            if isinstance(value, int) and value >= 0:
                return min(value, max_page)
        return default_page

    def list_size(selected: Selected) -> int:
        ids = argument(selected, "ids", values)
        if isinstance(ids, list):
            return len(ids)
        definition = selected.definition
        field = (definition.extensions or {}).get("strawberry-definition") if definition else None
        bound = (getattr(field, "metadata", None) or {}).get(MAX_ITEMS_KEY)
        return int(bound) if bound is not None else max_page

    def combine(fields: tuple[Selected, ...], child: Callable[[Selected], int]) -> int:
        """The cost of one selection set, per object it is selected on."""
        total = 0
        for selected in fields:
            if selected.definition is None or selected.node.selection_set is None:
                continue  # scalars, enums and introspection cost nothing here
            parent, target = selected.parent, selected.child_type
            if (is_connection(parent) and selected.name in ("edges", "nodes")) or (
                is_edge(parent) and selected.name == "node"
            ):
                total += child(selected)  # the connection field already counted these objects
            elif is_connection(target):
                total += page_size(selected) * (1 + child(selected))
            elif _is_list(selected.definition.type):
                own = 1 if _is_node(target) else 0
                total += list_size(selected) * (own + child(selected))
            else:
                total += (1 if _is_node(target) else 0) + child(selected)
        return total

    return Walk(document, schema).fold(op.selection_set, root, combine, {}, 0)


class QueryCostLimiter(SchemaExtension):
    """Refuse operations whose estimated cost exceeds ``max_cost`` (see the module docstring)."""

    def __init__(
        self, max_cost: int, default_page: int, max_page: int, anonymous_max_cost: int | None = None
    ) -> None:
        self.max_cost = max_cost
        self.anonymous_max_cost = max_cost if anonymous_max_cost is None else anonymous_max_cost
        self.default_page = default_page
        self.max_page = max_page

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if not (ec.result or ec.pre_execution_errors) and ec.graphql_document is not None:
            variables = coerced_variables(ec)
            cost = 0 if variables is None else estimate_cost(
                ec.schema._schema, ec.graphql_document, ec.operation_name, variables,
                self.default_page, self.max_page,
            )
            anonymous = principal_of(ec.context).is_anonymous
            limit = self.anonymous_max_cost if anonymous else self.max_cost
            if cost > limit:
                error = GraphQLError(
                    f"Query too costly: it could return {cost} objects, more than the "
                    f"{limit} allowed{' without an API key' if anonymous else ''}. Ask for "
                    "smaller pages (first/last) or fewer nested lists.",
                    extensions={"code": TOO_COSTLY, "cost": cost, "maxCost": limit},
                )
                ec.pre_execution_errors = [error]
                ec.result = ExecutionResult(data=None, errors=[error])
                refused(ec)
        yield


def is_token_limit(error: GraphQLError) -> bool:
    """Strawberry's token limit (a parser option) reports a plain message; it gets a code."""
    return error.original_error is None and _TOKEN_LIMIT_TEXT in error.message

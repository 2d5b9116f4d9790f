"""The operation's variables as execution will see them: coerced, defaults filled in.

Checks made before execution (the access check on filter values, the cost of ``first: $n``)
must read the same values the resolvers will get. A variable left out of the request takes
its declared default, so reading the raw request variables would let
``query($n: Int = 100)`` slip past the cost limit.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField, get_argument_values, get_variable_values
from graphql.execution.values import VariableValues
from strawberry.types import ExecutionContext
from strawberry.types.arguments import convert_arguments

from imm_graph.schema.walk import operation

_KEY = "imm_graph.coerced_variables"
REFUSED = "imm_graph.refused"


def refused(ec: ExecutionContext) -> None:
    """Note that the request was refused before execution: the same request always will be
    (the HTTP endpoint may remember the answer, see `imm_graph.schema.plans`)."""
    extras = getattr(ec.context, "extras", None)
    if extras is not None:
        extras[REFUSED] = True


def variable_values(ec: ExecutionContext) -> VariableValues | None:
    """graphql-core's coerced variables, once per request; None when they are invalid
    (execution reports why, before any resolver runs)."""
    cache = getattr(ec.context, "extras", None)
    if cache is not None and _KEY in cache:
        return cache[_KEY]
    op = operation(ec.graphql_document, ec.operation_name) if ec.graphql_document else None
    result: VariableValues | None = None
    if op is not None:
        coerced = get_variable_values(
            ec.schema._schema, op.variable_definitions or (), ec.variables or {}
        )
        result = None if isinstance(coerced, list) else coerced
    if cache is not None:
        cache[_KEY] = result
    return result


def coerced_variables(ec: ExecutionContext) -> dict[str, Any] | None:
    """The coerced values by name (defaults included)."""
    found = variable_values(ec)
    return None if found is None else dict(found.coerced)


def resolver_arguments(
    ec: ExecutionContext, definition: GraphQLField, node: FieldNode
) -> dict[str, Any] | None:
    """A field's arguments as its resolver receives them (strawberry inputs built), or None."""
    values = variable_values(ec)
    field = (definition.extensions or {}).get("strawberry-definition")
    if values is None or field is None:
        return None
    try:
        raw = get_argument_values(definition, node, values)
    except Exception:  # an invalid argument: execution reports it
        return None
    schema = ec.schema
    return convert_arguments(
        raw, field.arguments, schema.schema_converter.scalar_registry, schema.config
    )

"""Walking an operation's selections with fragments expanded, for the pre-execution checks.

The access check and the cost limit both need every field a query selects, with the type it is
selected on, however deeply it hides in named or inline fragments (limiters that skip fragments
are a known source of bypasses). Fields under ``@skip``/``@include`` count as selected: the
checks must not depend on variable values they cannot see at validation time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)


@dataclass(frozen=True)
class Selected:
    parent: GraphQLNamedType
    node: FieldNode
    definition: GraphQLField | None  # None for introspection fields such as __typename

    @property
    def name(self) -> str:
        return self.node.name.value


def operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }


def root_type(schema: GraphQLSchema, op: OperationDefinitionNode) -> GraphQLObjectType | None:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[op.operation]


def collect(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    named: Mapping[str, FragmentDefinitionNode],
) -> list[Selected]:
    """The fields of one selection set, fragments flattened (each named fragment once per level,
    as GraphQL execution itself does, so repeated spreads cannot multiply the work)."""
    out: list[Selected] = []
    visited: set[str] = set()

    def visit(selections: SelectionSetNode, on: GraphQLNamedType) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                out.append(Selected(on, selection, _field(on, selection.name.value)))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else on
                visit(selection.selection_set, target or on)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = named.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                target = schema.get_type(fragment.type_condition.name.value)
                visit(fragment.selection_set, target or on)

    visit(selection_set, parent)
    return out


def _field(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    return parent.fields.get(name)

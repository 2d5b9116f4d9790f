"""Walking an operation's selections with fragments expanded: linear in the document's size.

The access check, the cost limit and the depth and alias limits all need every field a query
selects, however deeply it hides in named or inline fragments (limiters that skip fragments are a
known source of bypasses). Expanding fragments naively is exponential: a chain of fragments that
each spread the next twice (``fragment F0 on Hub { ...F1 ...F1 name }`` …) doubles at every
link, and 40 links never finish. So the walks here never expand the same thing twice:

- `Walk.fields` gives the fields of one selection set with its fragments flattened; each
  fragment's flattening is computed once and reused wherever it is spread, and a field reached
  through two spreads is one selection, as in execution;
- `Walk.fold` computes a value per selection set from the values of its fields' sub-selections,
  memoised per (selection set, type), so a fragment spread a thousand times is analysed once.

Fields under ``@skip``/``@include`` count as selected: checks must not depend on variable values
they cannot see. Unknown fragments and fragment cycles (which validation reports) are ignored
here, so the walks can run before validation, on untrusted documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

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
    get_named_type,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Selected:
    parent: GraphQLNamedType | None  # None when walking without a schema
    node: FieldNode
    definition: GraphQLField | None  # None for introspection fields such as __typename

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def key(self) -> str:
        """The response key: the alias if there is one."""
        return (self.node.alias or self.node.name).value

    @property
    def child_type(self) -> GraphQLNamedType | None:
        return get_named_type(self.definition.type) if self.definition is not None else None


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


class Walk:
    """Memoised walks over one document (with a schema for types, or without)."""

    def __init__(self, document: DocumentNode, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema
        self.named: Mapping[str, FragmentDefinitionNode] = fragments(document)
        self._fields: dict[tuple[int, str], tuple[Selected, ...]] = {}
        self._busy: set[tuple[int, str]] = set()
        self._folding: set[tuple[int, str]] = set()
        self.steps = 0  # selections visited: tests prove the walks are linear with it

    def fields(self, selection_set: SelectionSetNode, parent: Any = None) -> tuple[Selected, ...]:
        """The fields of ``selection_set`` on ``parent``, fragments flattened, each node once."""
        key = (id(selection_set), _name(parent))
        found = self._fields.get(key)
        if found is not None:
            return found
        if key in self._busy:  # a fragment cycle: validation refuses the document
            return ()
        self._busy.add(key)
        out: dict[int, Selected] = {}
        for selection in selection_set.selections:
            self.steps += 1
            if isinstance(selection, FieldNode):
                definition = _field(parent, selection.name.value)
                out.setdefault(id(selection), Selected(parent, selection, definition))
                continue
            if isinstance(selection, InlineFragmentNode):
                inner, on = selection.selection_set, self._type(selection.type_condition, parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.named.get(selection.name.value)
                if fragment is None:
                    continue
                inner, on = fragment.selection_set, self._type(fragment.type_condition, parent)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            for selected in self.fields(inner, on):
                out.setdefault(id(selected.node), selected)
        self._busy.discard(key)
        result = self._fields[key] = tuple(out.values())
        return result

    def fold(
        self,
        selection_set: SelectionSetNode,
        parent: Any,
        combine: Callable[[tuple[Selected, ...], Callable[[Selected], T]], T],
        memo: dict[tuple[int, str], T],
        empty: T,
    ) -> T:
        """``combine(fields, child)`` for ``selection_set``, where ``child(selected)`` is the
        fold of that field's own selection set; every (selection set, type) is folded once.
        ``empty`` stands in where a fragment cycle (refused by validation) would recurse."""
        key = (id(selection_set), _name(parent))
        if key in memo:
            return memo[key]
        if key in self._folding:
            return empty
        self._folding.add(key)

        def child(selected: Selected) -> T:
            assert selected.node.selection_set is not None
            target = selected.child_type if self.schema is not None else None
            return self.fold(selected.node.selection_set, target, combine, memo, empty)

        try:
            result = combine(self.fields(selection_set, parent), child)
        finally:
            self._folding.discard(key)
        memo[key] = result
        return result

    def _type(self, condition: Any, parent: Any) -> Any:
        if self.schema is None or condition is None:
            return parent
        return self.schema.get_type(condition.name.value) or parent


def _name(type_: Any) -> str:
    return getattr(type_, "name", "")


def _field(parent: Any, name: str) -> GraphQLField | None:
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    return parent.fields.get(name)

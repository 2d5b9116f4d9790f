"""Limits checked before validation: depth, aliases, repeated fields, and unsafe strings.

They run first because they are cheap and linear (`walk.Walk` folds each fragment once), while
what they protect against is not: graphql-core's validation compares every pair of fields that
share a response key in a selection set, so ``{ hubs {…} hubs {…} … }`` repeated a few hundred
times costs seconds of CPU in one small request. Strawberry's own depth and alias limiters
expand fragments naively, which a chain of doubled fragment spreads turns exponential; these
replace them.

Every refusal is a GraphQL error with a code: ``QUERY_TOO_DEEP``, ``TOO_MANY_ALIASES``,
``QUERY_TOO_COMPLEX`` (one response key selected too often in one place) and
``BAD_USER_INPUT`` (a string literal holding a NUL character or an unpaired surrogate, which
PostgreSQL refuses and SQLite silently stores: both backends must see the same input).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    StringValueNode,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.schema.variables import refused
from imm_graph.schema.walk import Selected, Walk, operation

TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
BAD_USER_INPUT = "BAD_USER_INPUT"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# How often one response key may be selected in one selection set (fragments flattened).
MAX_REPEATS = 20
# Introspection is free of the depth limit (the standard introspection query nests 14 deep
# through `ofType`), but its lists of types, fields and arguments may nest only this far: the
# standard query needs 3 (types → fields → args), while `types { fields { type { fields { type
# { fields … } } } } }` multiplies the schema by itself at every level.
MAX_INTROSPECTION_LISTS = 3
INTROSPECTION_LISTS = frozenset(
    {"types", "fields", "inputFields", "interfaces", "possibleTypes", "enumValues", "args",
     "directives"}
)


@dataclass(frozen=True)
class Shape:
    """What the limits measure of one selection set and everything below it."""

    depth: int = 0
    aliases: int = 0
    repeats: int = 0  # the most fields sharing one response key in any one selection set
    lists: int = 0  # introspection lists nested in one another


def _combine(fields: tuple[Selected, ...], child: Callable[[Selected], Shape]) -> Shape:
    depth = aliases = lists = 0
    repeats = max(Counter(f.key for f in fields).values(), default=0)
    for selected in fields:
        if selected.node.alias is not None:
            aliases += 1
        if selected.node.selection_set is not None:
            below = child(selected)
            if not selected.name.startswith("__"):  # introspection is bounded by `lists`
                depth = max(depth, 1 + below.depth)
            aliases += below.aliases
            repeats = max(repeats, below.repeats)
            lists = max(lists, below.lists + (selected.name in INTROSPECTION_LISTS))
    return Shape(depth, aliases, repeats, lists)


def measure(document: DocumentNode, operation_name: str | None) -> tuple[Shape, Shape]:
    """(the executed operation's shape, the worst repeats anywhere in the document)."""
    walk = Walk(document)
    memo: dict[tuple[int, str], Shape] = {}
    worst = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            found = walk.fold(definition.selection_set, None, _combine, memo, Shape())
            worst = max(worst, found.repeats)
    op = operation(document, operation_name)
    shape = walk.fold(op.selection_set, None, _combine, memo, Shape()) if op else Shape()
    return shape, Shape(repeats=worst)


def _unsafe(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def unsafe_strings(document: DocumentNode) -> Iterator[StringValueNode]:
    found: list[StringValueNode] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            if _unsafe(node.value):
                found.append(node)

    visit(document, Strings())
    return iter(found)


def check(
    document: DocumentNode, operation_name: str | None, settings: Settings
) -> list[GraphQLError]:
    """The errors of every limit this document breaks (empty when it may be validated)."""
    bad = next(unsafe_strings(document), None)
    if bad is not None:
        return [GraphQLError(
            "String values may not contain NUL characters or unpaired surrogates.",
            nodes=[bad], extensions={"code": BAD_USER_INPUT},
        )]
    shape, whole = measure(document, operation_name)
    errors: list[GraphQLError] = []
    if shape.depth > settings.max_query_depth:
        name = operation(document, operation_name)
        label = name.name.value if name is not None and name.name else "anonymous"
        errors.append(GraphQLError(
            f"'{label}' exceeds maximum operation depth of {settings.max_query_depth}",
            extensions={"code": TOO_DEEP, "depth": shape.depth,
                        "maxDepth": settings.max_query_depth},
        ))
    if shape.aliases > settings.max_query_aliases:
        errors.append(GraphQLError(
            f"{shape.aliases} aliases found. Allowed: {settings.max_query_aliases}",
            extensions={"code": TOO_MANY_ALIASES, "maxAliases": settings.max_query_aliases},
        ))
    if shape.lists > MAX_INTROSPECTION_LISTS:
        errors.append(GraphQLError(
            f"Introspection nests {shape.lists} lists of types, fields or arguments; at most "
            f"{MAX_INTROSPECTION_LISTS} are allowed.",
            extensions={"code": TOO_COMPLEX, "maxIntrospectionLists": MAX_INTROSPECTION_LISTS},
        ))
    if whole.repeats > MAX_REPEATS:
        errors.append(GraphQLError(
            f"A field is selected {whole.repeats} times in one place; at most {MAX_REPEATS} "
            "selections may share a response key.",
            extensions={"code": TOO_COMPLEX, "maxRepeats": MAX_REPEATS},
        ))
    return errors


class Checked:
    """The outcome of the limits and of validation, per (query text, operation name).

    Keyed by the text, not the parsed document: graphql-core documents hash by structure, which
    costs a walk of the whole document on every lookup.
    """

    def __init__(self, settings: Settings, maxsize: int = 512) -> None:
        self.settings = settings
        self.maxsize = maxsize
        self._results: dict[tuple[str, str | None], list[GraphQLError]] = {}
        self.validations = 0  # documents validated: tests prove the cache hits with it

    def errors(self, ec: ExecutionContext) -> list[GraphQLError]:
        document = ec.graphql_document
        assert document is not None
        key = (ec.query or "", ec.operation_name)
        found = self._results.get(key)
        if found is not None:
            return list(found)
        errors = check(document, ec.operation_name, self.settings)
        if not errors:
            self.validations += 1
            errors = validate_document(ec.schema._schema, document, ec.validation_rules)
            for error in errors:
                if not (error.extensions or {}).get("code"):
                    error.extensions = {**(error.extensions or {}), "code": VALIDATION_FAILED}
        if len(self._results) >= self.maxsize:
            self._results.clear()  # simple and bounded; a miss costs one validation
        self._results[key] = errors
        return errors


class CheckedValidation(SchemaExtension):
    """The limits, then graphql-core's validation, both cached (see `Checked`).

    Replaces strawberry's ``ValidationCache``, ``QueryDepthLimiter`` and ``MaxAliasesLimiter``:
    validation must not run before the limits have refused what would make it slow.
    """

    def __init__(self, checked: Checked) -> None:
        self.checked = checked

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None and ec.pre_execution_errors is None:
            ec.pre_execution_errors = self.checked.errors(ec)
            if ec.pre_execution_errors:
                refused(ec)
        yield

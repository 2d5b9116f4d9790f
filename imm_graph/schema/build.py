"""Building the schema: the core's Query and Mutation plus plug-ins' contributions, once.

Security limits and caches are schema extensions, configured from settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.extensions import MaskErrors, MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.pluginhost.contract import SchemaContribution
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.schema import types as core_types
from imm_graph.schema.cost import QueryCostLimiter
from imm_graph.schema.deliveries import DeliveryMutations, DeliveryQueries
from imm_graph.schema.fast_path import CompiledQueries
from imm_graph.schema.http import is_variable_error
from imm_graph.schema.limits import Checked, CheckedValidation
from imm_graph.schema.metadata import DIRECT_KEY
from imm_graph.schema.mutations import Mutation
from imm_graph.schema.nodes import registry
from imm_graph.schema.participation import ParticipationMutations
from imm_graph.schema.permissions import AccessControl
from imm_graph.schema.queries import Query

_log = get_logger("imm_graph.graphql")


def _client_error(error: GraphQLError) -> bool:
    """Errors a client can act on stay visible when internal errors are masked."""
    original = error.original_error
    return (
        original is None
        or isinstance(original, ValidationError | PermissionError)
        or bool(error.extensions and error.extensions.get("code"))
        or is_variable_error(error)
    )


def extensions(settings: Settings, checked: Checked) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry builds fresh extensions per request; what they cache lives in
    objects made once per schema (`Checked`) or at module level (strawberry's parser cache)."""
    out: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        # The depth, alias and repetition limits, then validation: cached per query text.
        lambda: CheckedValidation(checked),
        # Before any extension that answers queries: refused queries must never run.
        lambda: AccessControl(settings),
        lambda: QueryCostLimiter(
            settings.max_query_cost, settings.default_page_size, settings.max_page_size,
            settings.anonymous_max_query_cost,
        ),
    ]
    if settings.sql_compiler:
        out.append(CompiledQueries)
    if settings.errors_masked:
        out.append(lambda: MaskErrors(should_mask_error=lambda e: not _client_error(e)))
    return out


class Schema(strawberry.Schema):
    """Logs what went wrong inside the server; a client's own mistakes are answered, not logged.

    ``checked`` holds the schema's validation cache (`limits.Checked`).

    Strawberry logs every error with its traceback. Input errors, refusals and limits are
    expected traffic: logging them would bury real failures (and their arguments are the
    caller's input, which need not reach the logs).
    """

    checked: Checked

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _client_error(error):
                continue
            _log.error(
                "graphql.internal_error",
                path=error.path,
                error=type(error.original_error).__name__,
                exc_info=error.original_error,
            )


def build_schema(
    settings: Settings,
    contributions: Sequence[SchemaContribution] = (),
) -> strawberry.Schema:
    """The core schema plus plug-ins' contributions (`PluginManager.schema_contributions`)."""
    query = merge_types(
        "Query", (Query, DeliveryQueries, *(q for c in contributions for q in c.queries))
    )
    mutation = merge_types(
        "Mutation",
        (Mutation, ParticipationMutations, DeliveryMutations,
         *(m for c in contributions for m in c.mutations)),
    )
    checked = Checked(settings)
    schema = Schema(
        query=query,
        mutation=mutation,
        types=[*core_types.NODE_CLASSES, *(t for c in contributions for t in c.types),
               *(n.cls for c in contributions for n in c.nodes)],
        extensions=extensions(settings, checked),
    )
    schema.checked = checked  # what validation cached, for health checks and tests
    for contribution in contributions:
        for type_name, classes in contribution.extend.items():
            _extend(schema, contribution.plugin, type_name, classes)
    direct_resolvers(schema)
    nodes = [n for c in contributions for n in c.nodes]
    schema._imm_nodes = registry(nodes)  # type: ignore[attr-defined]
    schema._imm_type_scopes = {n.name: n.scope for n in nodes}  # type: ignore[attr-defined]
    return schema


def direct_resolvers(schema: strawberry.Schema) -> int:
    """Let graphql-core call the resolvers marked `metadata.direct` itself; returns how many.

    A field with extensions (a permission) keeps strawberry's wrapper, whatever its mark.
    """
    count = 0
    for gql_type in schema._schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType):
            continue
        for definition in gql_type.fields.values():
            field = definition.extensions.get("strawberry-definition")
            resolve = (getattr(field, "metadata", None) or {}).get(DIRECT_KEY)
            if resolve is not None and not field.extensions:
                definition.resolve = resolve
                count += 1
    return count


def _extend(
    schema: strawberry.Schema, plugin: str, type_name: str, classes: Sequence[type]
) -> None:
    """Add a plug-in's fields (``Hub.episodes``) to a core type of this schema only.

    Strawberry builds graphql-core types per schema, so the fields are added to this schema's
    ``Hub`` and no other: each app (and each test) gets the plug-ins it loaded, nothing more.
    """
    target = schema._schema.type_map.get(type_name)
    if not isinstance(target, GraphQLObjectType):
        raise ValueError(f"plug-in {plugin!r} extends {type_name}, which is not an object type")
    for cls in classes:
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            name = schema.config.name_converter.get_graphql_name(field)
            if name in target.fields:
                raise ValueError(f"plug-in {plugin!r} adds {type_name}.{name}, which exists")
            target.fields[name] = schema.schema_converter.from_field(field)


def schema_for_plugins(settings: Settings, plugins: PluginManager) -> strawberry.Schema:
    return build_schema(settings, plugins.schema_contributions())


def schema_sdl(settings: Settings, plugins: PluginManager | None = None) -> str:
    schema = build_schema(settings) if plugins is None else schema_for_plugins(settings, plugins)
    return schema.as_str() + "\n"

"""Building the schema: the core's Query and Mutation plus plug-ins' contributions, once.

Security limits and caches are schema extensions, configured from settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from imm_graph.config import Settings
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.plugins import PluginManager
from imm_graph.schema import types as core_types
from imm_graph.schema.cost import QueryCostLimiter
from imm_graph.schema.deliveries import DeliveryMutations, DeliveryQueries
from imm_graph.schema.fast_path import CompiledQueries
from imm_graph.schema.mutations import Mutation
from imm_graph.schema.permissions import AccessControl
from imm_graph.schema.queries import Query

_log = get_logger("imm_graph.graphql")


def _client_error(error: GraphQLError) -> bool:
    """Errors a client can act on stay visible when internal errors are masked."""
    original = error.original_error
    return original is None or isinstance(original, ValidationError | PermissionError) or bool(
        error.extensions and error.extensions.get("code")
    )


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry builds fresh extensions per request (the caches are module-level)."""
    out: list[Callable[[], SchemaExtension]] = [
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_query_aliases),
        # Before any extension that answers queries: refused queries must never run.
        lambda: AccessControl(settings),
        lambda: QueryCostLimiter(
            settings.max_query_cost, settings.default_page_size, settings.max_page_size
        ),
    ]
    if settings.sql_compiler:
        out.append(CompiledQueries)
    if settings.errors_masked:
        out.append(lambda: MaskErrors(should_mask_error=lambda e: not _client_error(e)))
    return out


class Schema(strawberry.Schema):
    """Logs what went wrong inside the server; a client's own mistakes are answered, not logged.

    Strawberry logs every error with its traceback. Input errors, refusals and limits are
    expected traffic: logging them would bury real failures (and their arguments are the
    caller's input, which need not reach the logs).
    """

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
    queries: Sequence[type] = (),
    mutations: Sequence[type] = (),
    types: Sequence[type] = (),
) -> strawberry.Schema:
    """The core schema plus plug-ins' contributions (from `PluginManager.schema_contributions`)."""
    query = merge_types("Query", (Query, DeliveryQueries, *queries))
    mutation = merge_types("Mutation", (Mutation, DeliveryMutations, *mutations))
    return Schema(
        query=query,
        mutation=mutation,
        types=[*core_types.NODE_CLASSES, *types],
        extensions=extensions(settings),
    )


def schema_for_plugins(settings: Settings, plugins: PluginManager) -> strawberry.Schema:
    contributions = plugins.schema_contributions()
    return build_schema(
        settings,
        queries=[q for c in contributions for q in c.queries],
        mutations=[q for c in contributions for q in c.mutations],
        types=[q for c in contributions for q in c.types],
    )


def schema_sdl(settings: Settings, plugins: PluginManager | None = None) -> str:
    schema = build_schema(settings) if plugins is None else schema_for_plugins(settings, plugins)
    return schema.as_str() + "\n"

"""Runs compilable read queries as one SQL statement (see compiler.py) instead of resolvers.

A strawberry extension: it acts after parsing, validation and the security limits, and before
execution. When it can answer, it leaves the JSON text from PostgreSQL on the context for the
HTTP endpoint to send as it is; otherwise execution goes on through the resolvers unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.permission import PermissionExtension

from imm_graph.schema.compiler import compile_query
from imm_graph.schema.context import Context

# Reads of these scopes are audited by their resolvers: never answer them from SQL alone.
RESOLVER_ONLY_SCOPES = frozenset({"read:personal"})


def _has_scope(principal: Any, scope: str) -> bool:
    if principal is None:
        return False
    check = getattr(principal, "has_scope", None)
    if callable(check):
        return bool(check(scope))
    return scope in getattr(principal, "scopes", ())


class CompiledQueries(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ec = self.execution_context
        ctx = ec.context
        if (
            isinstance(ctx, Context)
            and ctx.settings.sql_compiler
            and ctx.db.engine.dialect.name == "postgresql"
            and ec.graphql_document is not None
            and not ec.pre_execution_errors
        ):
            schema = ec.schema
            graphql_schema = schema._schema

            def allowed(type_name: str, field_name: str) -> bool:
                """Only fields whose permissions are plain scope checks the caller passes."""
                gql_type = graphql_schema.get_type(type_name)
                if not isinstance(gql_type, GraphQLObjectType):
                    return False
                definition = gql_type.fields.get(field_name)
                if definition is None:
                    return False
                field = definition.extensions.get("strawberry-definition")
                for extension in getattr(field, "extensions", None) or ():
                    if not isinstance(extension, PermissionExtension):
                        return False
                    for permission in extension.permissions:
                        scope = getattr(permission, "scope", None)
                        if scope is None or scope in RESOLVER_ONLY_SCOPES:
                            return False
                        if not _has_scope(ctx.principal, scope):
                            return False
                return True

            from imm_graph.schema.queries import ROOT_LISTS

            statement = compile_query(
                schema, ec.graphql_document, ec.operation_name, ec.variables, ctx.settings,
                allowed, ROOT_LISTS,
            )
            if statement is not None:
                [[text]] = await ctx.fetch(statement)
                ctx.extras["raw_data"] = text
                ec.result = GraphQLExecutionResult(data={}, errors=None)
        yield

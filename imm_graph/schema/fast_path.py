"""Runs compilable read queries as one SQL statement (see compiler.py) instead of resolvers.

A strawberry extension: it acts after parsing, validation and the security limits, and before
execution. When it can answer, it leaves the JSON text from PostgreSQL on the context for the
HTTP endpoint to send as it is; otherwise execution goes on through the resolvers unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.permission import PermissionExtension

from imm_graph.schema.compiler import Constant, compile_query
from imm_graph.schema.context import Context
from imm_graph.schema.permissions import policy_for
from imm_graph.schema.plans import Plan, driver_sql
from imm_graph.schema.queries import ROOT_LISTS
from imm_graph.security.principal import principal_of

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

            policy = policy_for(schema, ctx.settings)
            principal = principal_of(ctx)

            def node_allowed(type_name: str) -> bool:
                scope = policy.type_scope(type_name)
                if scope in RESOLVER_ONLY_SCOPES:
                    return False  # looking one up is an audited read
                return scope is None or principal.has(scope)

            compiled = compile_query(
                schema, ec.graphql_document, ec.operation_name, ec.variables, ctx.settings,
                allowed, ROOT_LISTS, node_allowed,
            )
            if isinstance(compiled, Constant):
                ctx.extras["raw_data"] = compiled.text
                ctx.extras["plan"] = Plan(body=b'{"data":' + compiled.text.encode() + b"}")
                ec.result = GraphQLExecutionResult(data={}, errors=None)
            elif compiled is not None:
                sql, params = driver_sql(compiled, ctx.db.engine.dialect)
                try:
                    text = await ctx.fetch_value(sql, params)
                except Exception as exc:  # reported like a resolver's failure: logged, masked
                    error = GraphQLError("The database could not answer this query.",
                                         original_error=exc)
                    ec.result = GraphQLExecutionResult(data=None, errors=[error])
                else:
                    ctx.extras["raw_data"] = text
                    ctx.extras["plan"] = Plan(sql=sql, params=params)
                    ec.result = GraphQLExecutionResult(data={}, errors=None)
        yield

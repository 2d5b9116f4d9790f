"""The /graphql endpoint: GraphQL over HTTP (JSON POST, GET for queries), GraphiQL in development.

A small endpoint of our own rather than strawberry's view: it owns the per-request context
(read connection, loaders, caller) from start to end, so nothing leaks between requests.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types.graphql import OperationType  # strawberry's, not graphql-core's

from imm_graph.errors import ValidationError
from imm_graph.schema.context import Context
from imm_graph.schema.cost import limit_code


def format_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, ValidationError):
        formatted["extensions"] = {
            **(formatted.get("extensions") or {}),
            "code": "BAD_USER_INPUT",
            "fieldErrors": [
                {"code": e.code, "field": e.field, "message": e.message} for e in original.errors
            ],
        }
    elif not (formatted.get("extensions") or {}).get("code") and (code := limit_code(error)):
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


def _refusal_status(errors: list[dict[str, Any]]) -> int:
    """403 when a query was refused only for missing scopes, else 400 (a bad request)."""
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    return 403 if codes == {"FORBIDDEN"} else 400


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """RFC 9457 problem details for errors outside GraphQL (bad request body, wrong method)."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


class GraphQLEndpoint:
    def __init__(self, schema: strawberry.Schema, *, graphiql: bool) -> None:
        self.schema = schema
        self.graphiql = graphiql

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            if self.graphiql:
                return HTMLResponse(get_graphql_ide_html())
            return problem(404, "Not Found", "GraphiQL is turned off on this server")
        try:
            body = await self._body(request)
        except ValueError as exc:
            return problem(400, "Bad Request", str(exc))
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return problem(400, "Bad Request", "the request has no GraphQL query")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return problem(400, "Bad Request", "variables must be a JSON object")
        ctx = Context(db=request.app.state.db, settings=request.app.state.settings, request=request)
        ctx.principal = getattr(request.state, "principal", None)
        allowed = (
            {OperationType.QUERY} if request.method == "GET" else None
        )  # no mutations over GET: links and prefetchers must not change data
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=ctx,
                operation_name=body.get("operationName"),
                allowed_operation_types=allowed,
            )
        finally:
            await ctx.close()
        raw = ctx.extras.get("raw_data")
        if raw is not None and not result.errors:
            # Built by PostgreSQL in one statement (fast_path.py): sent as it came.
            return Response(b'{"data":' + raw.encode() + b"}", media_type="application/json")
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [format_error(e) for e in result.errors]
        if result.data is not None or not result.errors:
            payload["data"] = result.data
        status = 200 if "data" in payload else _refusal_status(payload["errors"])
        return JSONResponse(payload, status_code=status)

    async def _body(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params = dict(request.query_params)
            if "variables" in params:
                try:
                    params["variables"] = json.loads(params["variables"])
                except json.JSONDecodeError:
                    raise ValueError("variables is not valid JSON") from None
            return params
        if "application/json" not in request.headers.get("content-type", ""):
            raise ValueError("send the query as application/json")
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            raise ValueError("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

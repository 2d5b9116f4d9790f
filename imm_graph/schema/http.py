"""The /graphql endpoint: GraphQL over HTTP (JSON POST, GET for queries), GraphiQL in development.

A small endpoint of our own rather than strawberry's view: it owns the per-request context
(read connection, loaders, caller) from start to end, so nothing leaks between requests, and it
answers every malformed request as the client's error, never with a 500:

- a body that is not a JSON object (or nests deeper than 1,024 levels, or holds an unpaired
  surrogate) is a 400 problem document; a string variable holding a NUL character is refused
  with ``BAD_USER_INPUT`` (PostgreSQL refuses NUL, SQLite stores it: both must behave alike);
- the media type must be exactly ``application/json``, parameters aside;
- a mutation over GET is 405, an unknown ``operationName`` a 400 GraphQL error;
- every error carries ``extensions.code``: ``GRAPHQL_PARSE_FAILED``,
  ``GRAPHQL_VALIDATION_FAILED``, ``BAD_USER_INPUT``, the limits' codes, ``FORBIDDEN``,
  ``TIMEOUT``;
- the whole execution runs under ``IMM_REQUEST_BUDGET_SECONDS``: past it, the request is stopped
  (its database statement cancelled) and answered with ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType  # strawberry's, not graphql-core's

from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.schema.context import Context
from imm_graph.schema.cost import is_token_limit
from imm_graph.schema.plans import Plan, PlanCache
from imm_graph.schema.variables import REFUSED
from imm_graph.security.principal import Principal, principal_of
from imm_graph.security.problem import problem

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
TIMEOUT = "TIMEOUT"
INTERNAL = "INTERNAL_SERVER_ERROR"


log = get_logger("imm_graph.graphql")


def _caller(principal: Principal) -> tuple[str | None, frozenset[str]] | None:
    """What a plan depends on about the caller: their scopes, and the plug-in that vouched for
    them if any (None: anonymous)."""
    return None if principal.is_anonymous else (principal.via, principal.scopes)


class BadRequest(ValueError):
    """The HTTP request itself is unusable; ``detail`` tells the client why."""


def _with_code(formatted: dict[str, Any], code: str, **more: Any) -> dict[str, Any]:
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code, **more}
    return formatted


def format_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, ValidationError):
        return _with_code(formatted, BAD_USER_INPUT, fieldErrors=[
            {"code": e.code, "field": e.field, "message": e.message} for e in original.errors
        ])
    if (formatted.get("extensions") or {}).get("code"):
        return formatted
    if is_token_limit(error):
        return _with_code(formatted, "QUERY_TOO_LARGE")
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(formatted, PARSE_FAILED)
    if is_variable_error(error):
        return _with_code(formatted, BAD_USER_INPUT)
    # Anything else went wrong inside the server (its message is masked in production).
    return _with_code(formatted, INTERNAL)


def is_variable_error(error: GraphQLError) -> bool:
    """graphql-core's report of a variable value that does not fit its declared type."""
    return error.message.startswith("Variable '$") and (
        error.original_error is None or isinstance(error.original_error, GraphQLError)
    )


def _refusal_status(errors: list[dict[str, Any]]) -> int:
    """403 when refused only for missing scopes, 500 when the server failed, else 400."""
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if INTERNAL in codes:
        return 500
    return 403 if codes == {"FORBIDDEN"} else 400


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def graphql_errors(status: int, message: str, code: str, **extensions: Any) -> Response:
    return json_response(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}, status
    )


def _unsafe_strings(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unsafe_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unsafe_strings(item, f"{path}[{i}]")


class GraphQLEndpoint:
    def __init__(
        self, schema: strawberry.Schema, *, graphiql: bool, budget_seconds: float = 10,
        plans: PlanCache | None = None,
    ) -> None:
        self.schema = schema
        self.graphiql = graphiql
        self.budget = budget_seconds
        self.plans = plans if plans is not None else PlanCache()

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            if self.graphiql:
                return HTMLResponse(get_graphql_ide_html())
            return problem(404, "Not Found", "GraphiQL is turned off on this server")
        try:
            query, variables, operation_name = self._operation(await self._body(request))
        except BadRequest as exc:
            return problem(400, "Bad Request", str(exc), code="BAD_REQUEST")
        unsafe = next(_unsafe_strings(variables, "variables"), None)
        if unsafe is not None:
            return graphql_errors(
                400, f"{unsafe} holds a NUL character, which no field accepts", BAD_USER_INPUT,
                field=unsafe,
            )
        principal = principal_of(request)
        key = self.plans.key(request.method, query, operation_name, _caller(principal), variables)
        plan = self.plans.get(key) if key is not None else None
        if plan is not None:
            return await self._replay(plan, request)
        ctx = Context(db=request.app.state.db, settings=request.app.state.settings, request=request)
        ctx.principal = principal
        # No mutations over GET: links and prefetchers must not change data.
        allowed = {OperationType.QUERY} if request.method == "GET" else None
        try:
            async with asyncio.timeout(self.budget):
                result = await self.schema.execute(
                    query, variable_values=variables, context_value=ctx,
                    operation_name=operation_name, allowed_operation_types=allowed,
                )
        except InvalidOperationTypeError:
            return problem(
                405, "Method Not Allowed", "mutations must be sent with POST",
                headers={"Allow": "POST"}, code="METHOD_NOT_ALLOWED",
            )
        except CannotGetOperationTypeError:
            message = (
                f"Unknown operation named {operation_name!r}." if operation_name
                else "The document holds several operations: name one with operationName."
            )
            return graphql_errors(400, message, VALIDATION_FAILED)
        except TimeoutError:
            return graphql_errors(
                503, f"The request took longer than its {self.budget:g} s budget and was stopped.",
                TIMEOUT, budgetSeconds=self.budget,
            )
        finally:
            await ctx.close()
        raw = ctx.extras.get("raw_data")
        if raw is not None and not result.errors:
            # Built by PostgreSQL in one statement (fast_path.py): sent as it came.
            if key is not None and (plan := ctx.extras.get("plan")) is not None:
                self.plans.put(key, plan)
            return Response(b'{"data":' + raw.encode() + b"}", media_type="application/json")
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [format_error(e) for e in result.errors]
        if result.data is not None or not result.errors:
            payload["data"] = result.data
        status = 200 if "data" in payload else _refusal_status(payload["errors"])
        response = json_response(payload, status)
        if key is not None and ctx.extras.get(REFUSED):
            self.plans.put(key, Plan(body=response.body, status=status))
        return response

    async def _replay(self, plan: Plan, request: Request) -> Response:
        """Answer from a plan: its bytes, or its SQL run once more on fresh data."""
        if plan.sql is None:
            assert plan.body is not None
            return Response(plan.body, status_code=plan.status, media_type="application/json")
        ctx = Context(db=request.app.state.db, settings=request.app.state.settings, request=request)
        try:
            async with asyncio.timeout(self.budget):
                text = await ctx.fetch_value(plan.sql, plan.params)
        except TimeoutError:
            return graphql_errors(
                503, f"The request took longer than its {self.budget:g} s budget and was stopped.",
                TIMEOUT, budgetSeconds=self.budget,
            )
        except Exception as exc:  # masked like any internal failure; the details go to the log
            log.error("graphql.plan_failed", error=type(exc).__name__, exc_info=exc)
            return graphql_errors(500, "Unexpected error.", INTERNAL)
        return Response(b'{"data":' + text.encode() + b"}", media_type="application/json")

    @staticmethod
    def _operation(body: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("the request has no GraphQL query")
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            raise BadRequest("variables must be a JSON object")
        operation_name = body.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise BadRequest("operationName must be a string")
        return query, variables, operation_name or None

    async def _body(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            if "variables" in params:
                params["variables"] = _json(params["variables"], "variables")
            return params
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise BadRequest("send the query as application/json")
        body = _json(await request.body(), "the body")
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body


def _json(text: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).split(":", 1)[0]  # "depth limit exceeded", "unexpected character" …
        raise BadRequest(f"{what} is not valid JSON ({reason})") from None

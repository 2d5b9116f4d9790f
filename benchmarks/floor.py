"""The floor: what any request costs before GraphQL, served like imm_graph (same uvicorn flags).

    uvicorn --factory benchmarks.floor:create_app --host 127.0.0.1 --port 8799 --workers 1 \
        --log-level warning --no-access-log

Two endpoints that read the POSTed body and answer a constant `{"data":{"__typename":"Query"}}`:

- `/graphql`: a Starlette route (imm_graph's framework), so it includes Starlette's request
  and response objects and its routing;
- `/raw`: the same answer from a bare ASGI callable, so it is uvicorn (uvloop, httptools) alone.

No database, no parsing, no authentication: no request imm_graph serves can be faster than these
(benchmarks/side_by_side.sh reports them as the ceiling).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"data":{"__typename":"Query"}}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def graphql(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


async def health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    more = True
    while more:  # read the whole body, as the Starlette endpoint does
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def create_app() -> Any:
    starlette = Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/health", health)]
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/raw":
            await raw(scope, receive, send)
        else:
            await starlette(scope, receive, send)

    return app

"""The plug-in's HTTP routes, one per access policy."""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from imm_graph.plugin_api import (
    Answer,
    IdempotencyConflict,
    Principal,
    SignatureProblem,
    models,
    once,
    problem,
    require_scope,
    verify_signed,
)
from tests.example_plugin.models import ExampleNote

NAME = "example"


async def status(request: Request) -> JSONResponse:
    """GET /plugins/example/status (an API key with read:examples): deliveries still waiting."""
    if (denied := require_scope(request, "read:examples")) is not None:
        return denied
    async with request.app.state.db.sessions() as session:
        waiting = await session.scalar(
            sa.select(sa.func.count()).select_from(models.OutboxDelivery)
            .where(models.OutboxDelivery.plugin == NAME,
                   models.OutboxDelivery.delivered_at.is_(None))
        )
    return JSONResponse({"plugin": NAME, "waitingDeliveries": waiting})


async def hello(request: Request) -> JSONResponse:
    """GET /plugins/example/hello: public, with its own rate limit."""
    return JSONResponse({"hello": "world"}, headers={"Cache-Control": "public, max-age=60"})


async def inbound(request: Request) -> Response:
    """POST /plugins/example/inbound: a partner's signed webhook adds a note to a hub, once."""
    config = request.app.state.plugins.config_for(NAME)
    body = await request.body()
    try:
        key = verify_signed([s.get_secret_value() for s in config.inbound_secrets],
                            request.headers, body)
    except SignatureProblem as refused:
        return problem(401, "Unauthorized", refused.message, code=refused.code)
    request.state.principal = Principal(via=NAME, name="partner")

    async def add_note(session: AsyncSession) -> Answer:
        data = orjson.loads(body)
        note = ExampleNote(hub_id=int(data["hubId"]), text=str(data["text"]))
        session.add(note)
        await session.flush()
        return Answer(201, orjson.dumps({"noteId": note.id}))

    try:
        answer = await once(request.app.state.db, NAME, key, body, add_note)
    except IdempotencyConflict as conflict:
        return problem(409, "Conflict", str(conflict), code="idempotency_conflict")
    return Response(answer.body, answer.status_code, media_type=answer.content_type)

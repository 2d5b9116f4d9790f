"""The /health endpoint: is the database reachable, and is its schema at the latest migration?

Load balancers and uptime checks call it; it answers 503 (not 500) when the app cannot serve.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from imm_graph.migrate import current_revision, head_revision


async def health(request: Request) -> JSONResponse:
    db = request.app.state.db
    expected = head_revision()
    try:
        current = await current_revision(db.engine)
    except Exception as exc:  # any failure to reach the database is "unhealthy", not a crash
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status_code=503,
        )
    body = {
        "status": "ok" if current == expected else "migrations_pending",
        "database": "reachable",
        "schemaRevision": current,
        "expectedRevision": expected,
    }
    return JSONResponse(body, status_code=200 if current == expected else 503)

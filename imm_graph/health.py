"""The /health endpoint: is the database reachable, is its schema at every migration head, and
are the plug-ins well?

Load balancers and uptime checks call it; it answers 503 (not 500) when the app cannot serve.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from imm_graph.migrate import pending


async def health(request: Request) -> JSONResponse:
    db = request.app.state.db
    try:
        missing = sorted(await pending(db.engine))
    except Exception as exc:  # any failure to reach the database is "unhealthy", not a crash
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status_code=503,
        )
    plugins = await request.app.state.plugins.health(db)
    down = [name for name, report in plugins.items() if report.get("status") == "down"]
    status = "migrations_pending" if missing else ("degraded" if down else "ok")
    body = {
        "status": status,
        "database": "reachable",
        "pendingMigrations": missing,
        "plugins": plugins,
    }
    return JSONResponse(body, status_code=200 if status == "ok" else 503)

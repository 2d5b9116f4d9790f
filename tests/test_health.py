"""/health tells a load balancer whether this app can serve: database reachable and migrated."""

from __future__ import annotations

import httpx

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database


async def test_healthy_when_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["pendingMigrations"] == []
    assert set(body["plugins"]) >= set()  # each enabled plug-in that reports, by name


async def test_unhealthy_when_migrations_are_pending(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    app = create_app(Settings(database_url=empty_database_url, environment="test"), database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/health")
    await db.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "migrations_pending"
    assert "0004" in response.json()["pendingMigrations"]  # names the heads it lacks


async def test_unhealthy_when_the_database_is_unreachable() -> None:
    url = "sqlite+aiosqlite:////nonexistent/directory/imm.db"
    db = Database(url)
    app = create_app(Settings(database_url=url, environment="test"), database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/health")
    await db.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"

"""Faults on the real PostgreSQL: the server killed mid-burst, the database's connections cut.

- kill -9 during a burst of writes: every write the server acknowledged is there afterwards,
  whole (the row, its audit entry and its domain event land together or not at all);
- every connection to the database terminated under load (what the application sees when
  PostgreSQL restarts): requests fail cleanly, and the same process recovers, no restart.

``IMM_TEST_RESTART_POSTGRES=1`` also restarts the PostgreSQL server itself (``pg_ctlcluster``;
root on the CI machine), which the documented full run does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database, create_engine
from imm_graph.ids import encode_id
from imm_graph.security.keys import create_api_key
from tests import builders
from tests.conftest import POSTGRES_URL
from tests.servers import ServerProcess, wait_until

RECORD = """mutation($hub: ID!, $day: Date!) {
  recordSession(input: {hub: $hub, date: $day, attendance: {olderPeople: 2}}) { errors { code } }
}"""


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("fault tests run on PostgreSQL (kill -9 and cut connections)")


async def _hub_and_key(db: Database) -> tuple[str, str]:
    async with db.transaction() as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
        key = await create_api_key(session, name="fault tests", scopes=["admin"])
    return encode_id("Hub", hub.id), key.token


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


async def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(
    postgres_only: None, database_url: str, db: Database, workdir: Path
) -> None:
    hub, token = await _hub_and_key(db)
    server = ServerProcess(database_url, workdir).start()
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(400)]
    acknowledged: list[dt.date] = []
    enough = asyncio.Event()

    async def write(http: httpx.AsyncClient, day: dt.date) -> None:
        try:
            response = await http.post("/graphql", json={
                "query": RECORD, "variables": {"hub": hub, "day": day.isoformat()},
            })
        except httpx.TransportError:
            return  # cut off by the kill: not acknowledged
        if response.status_code == 200 and response.json()["data"]["recordSession"]["errors"] == []:
            acknowledged.append(day)
            if len(acknowledged) >= 60:
                enough.set()

    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
        timeout=30,
    ) as http:
        burst = [asyncio.create_task(write(http, day)) for day in days]
        await enough.wait()
        server.kill()  # mid-burst: requests are in flight
        await asyncio.gather(*burst)
    assert 60 <= len(acknowledged) < len(days)

    async with db.sessions() as session:
        stored = {row.session_date: row.id for row in await session.execute(
            sa.select(m.Session.session_date, m.Session.id))}
        audited = {tuple(ids) for ids in await session.scalars(
            sa.select(m.AuditEntry.object_ids).where(m.AuditEntry.action == "session.create"))}
        events = set(await session.scalars(
            sa.select(m.DomainEventRecord.entity_id).where(
                m.DomainEventRecord.name == "session.recorded")))
    assert set(acknowledged) <= set(stored)  # 0 acknowledged writes lost
    for day, session_id in stored.items():  # and every stored write is whole
        assert (str(session_id),) in audited, day
        assert str(session_id) in events, day

    with ServerProcess(database_url, workdir) as again:  # and the server comes back
        response = httpx.post(again.url + "/graphql", json={
            "query": RECORD, "variables": {"hub": hub, "day": "2030-01-01"}},
            headers={"Authorization": f"Bearer {token}"})
        assert response.json()["data"]["recordSession"]["errors"] == []


async def _terminate_connections(database: str) -> int:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            result = await conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})
            return int(result.scalar_one())
    finally:
        await admin.dispose()


def _restart_postgres() -> None:
    version = Path("/etc/postgresql").iterdir().__next__().name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=120)


async def test_cut_database_connections_fail_cleanly_and_the_app_recovers(
    postgres_only: None, database_url: str, db: Database, workdir: Path
) -> None:
    hub, token = await _hub_and_key(db)
    restart = os.environ.get("IMM_TEST_RESTART_POSTGRES") == "1"
    if restart and not shutil.which("pg_ctlcluster"):
        pytest.skip("IMM_TEST_RESTART_POSTGRES=1 needs pg_ctlcluster on this machine")
    statuses: list[int] = []
    query = {"query": "{ sessions(first: 5) { totalCount nodes { date } } }"}
    with ServerProcess(database_url, workdir, IMM_ENVIRONMENT="test") as server:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            stop = asyncio.Event()

            async def load() -> None:
                while not stop.is_set():
                    response = await http.post("/graphql", json=query)
                    statuses.append(response.status_code)
                    if response.status_code != 200:  # a failure must still be a clean answer
                        body = response.json()
                        assert body["errors"][0]["extensions"]["code"]

            clients = [asyncio.create_task(load()) for _ in range(4)]
            await asyncio.to_thread(wait_until, lambda: len(statuses) > 20, timeout=30,
                                    what="load to build up")
            if restart:
                await asyncio.to_thread(_restart_postgres)
            else:
                assert await _terminate_connections(database_url.rsplit("/", 1)[1]) > 0
            before = len(statuses)
            await asyncio.to_thread(wait_until, lambda: len(statuses) > before + 40,
                                    timeout=60, what="requests after the cut")
            stop.set()
            await asyncio.gather(*clients)
            # Recovered without a restart: the last answers are all good.
            assert statuses[-20:] == [200] * 20
            response = await http.post("/graphql", json={
                "query": RECORD, "variables": {"hub": hub, "day": "2031-01-01"}})
            assert response.json()["data"]["recordSession"]["errors"] == []
    assert all(status in (200, 500, 503) for status in statuses)

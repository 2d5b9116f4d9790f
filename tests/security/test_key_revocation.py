"""A revoked key stops working on every worker within IMM_API_KEY_CACHE_SECONDS.

Verified keys are cached per process (keys.py); revocation is written to the database by a
command or another worker, so a process that cached the key keeps honouring it until its cache
entry expires: at most the documented number of seconds. Two real server processes share one
database; the key is revoked from outside both.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from imm_graph.db import Database
from imm_graph.security.keys import revoke_api_key
from tests.conftest import MakeKey, bearer
from tests.servers import ServerProcess, wait_until

# Several workers on one database is a PostgreSQL deployment.
pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
CACHE_SECONDS = 2.0
QUERY = {"query": "{ hubs(first: 1) { totalCount } }"}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


async def test_a_revoked_key_is_refused_on_every_worker_within_the_cache_time(
    database_url: str, db: Database, make_key: MakeKey, workdir: Path
) -> None:
    token = await make_key(["read:core"])
    key_id = token.split("_")[1]
    env = {"IMM_ENVIRONMENT": "test", "IMM_API_KEY_CACHE_SECONDS": str(CACHE_SECONDS)}
    with ServerProcess(database_url, workdir, **env) as one, \
            ServerProcess(database_url, workdir, **env) as two:
        clients = [httpx.Client(base_url=s.url, headers=bearer(token)) for s in (one, two)]
        for client in clients:  # both workers verify the key and cache it
            assert client.post("/graphql", json=QUERY).status_code == 200

        async with db.transaction() as session:
            await revoke_api_key(session, key_id)
        revoked_at = time.monotonic()

        refused_after: list[float] = []
        for client in clients:
            wait_until(lambda c=client: c.post("/graphql", json=QUERY).status_code == 401,
                       timeout=CACHE_SECONDS + 10, what="the revoked key to be refused")
            refused_after.append(time.monotonic() - revoked_at)
            body = client.post("/graphql", json=QUERY).json()
            assert "revoked" in str(body), body
        for client in clients:
            client.close()
    # The documented bound, plus what one request takes on a busy test machine.
    assert max(refused_after) <= CACHE_SECONDS + 1.0, refused_after

"""The delivery worker killed with SIGKILL mid-run, then restarted (PostgreSQL).

Delivery is at least once (`pluginhost/outbox.py`): a worker can die after a partner answered
and before it recorded the answer. What must hold, and is measured here:

- nothing acknowledged is lost: every queued delivery reaches the partner, after the restart;
- nothing recorded as delivered is sent again;
- a repeat is only ever a delivery that was in flight at the kill, and it carries the same
  ``webhook-id``/``Idempotency-Key``, so the partner can drop it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from imm_graph.db import Database
from imm_graph.models.outbox import DeliveryStatus, OutboxDelivery
from imm_graph.pluginhost.outbox import DELIVERY_ID_HEADER, IDEMPOTENCY_HEADER, enqueue_delivery
from tests.servers import wait_until

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
DELIVERIES = 150
BATCH = 10


class Receiver:
    """A partner endpoint: records each request's delivery id and idempotency key."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        (self.headers[DELIVERY_ID_HEADER], self.headers[IDEMPOTENCY_HEADER])
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "IMM_DATABASE_URL": database_url, "IMM_LOG_LEVEL": "WARNING",
        "IMM_OUTBOX_BATCH_SIZE": str(BATCH), "IMM_OUTBOX_LEASE_SECONDS": "3",
        "IMM_OUTBOX_TIMEOUT_SECONDS": "2", "IMM_OUTBOX_ALLOW_PRIVATE_NETWORKS": "true",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "imm_graph.cli", "worker", "--interval", "0.2"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )


async def _statuses(db: Database) -> dict[str, DeliveryStatus]:
    async with db.sessions() as session:
        rows = await session.execute(sa.select(OutboxDelivery.delivery_id, OutboxDelivery.status))
        return {delivery_id: status for delivery_id, status in rows}


async def test_kill_9_mid_run_loses_nothing_and_resends_only_what_was_in_flight(
    database_url: str, db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    async with db.transaction() as session:
        for i in range(DELIVERIES):
            await enqueue_delivery(session, plugin="faults", url=receiver.url,
                                   payload={"n": i}, secret_ref=None)

    first = _worker(database_url, tmp_path / "worker.log")
    try:
        wait_until(lambda: receiver.count() >= DELIVERIES // 3, timeout=120,
                   what="the worker to deliver a third")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    before_restart = Counter(delivery_id for delivery_id, _ in receiver.received)
    recorded = {d for d, s in (await _statuses(db)).items() if s == DeliveryStatus.DELIVERED}
    assert 0 < len(recorded) < DELIVERIES  # killed mid-run

    second = _worker(database_url, tmp_path / "worker.log")
    try:
        async def all_delivered() -> bool:
            return all(s == DeliveryStatus.DELIVERED for s in (await _statuses(db)).values())

        await eventually(all_delivered, timeout=120, what="every delivery to be recorded")
    finally:
        second.terminate()
        second.wait(timeout=30)

    received = Counter(delivery_id for delivery_id, _ in receiver.received)
    assert set(received) == set(await _statuses(db))  # 0 lost
    resent = {d for d, n in received.items() if n > 1}
    assert not resent & recorded  # 0 sent again once recorded as delivered
    assert resent <= set(before_restart)  # only what was in flight when the worker died
    assert len(resent) <= BATCH
    keys = {}
    for delivery_id, key in receiver.received:  # a repeat is recognisable: same key
        assert keys.setdefault(delivery_id, key) == key
    print(f"outbox kill -9: {DELIVERIES} queued, {len(recorded)} recorded before the kill, "
          f"0 lost, {len(resent)} in flight and re-sent with the same idempotency key")


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, timeout: float, what: str
) -> None:
    """Poll an async condition until it holds; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)

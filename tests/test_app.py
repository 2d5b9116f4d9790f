"""The whole app with a plug-in, as a partner and IMM staff meet it.

A session recorded through GraphQL raises a domain event; the example plug-in queues a signed
delivery to its partner in the same transaction; the partner's endpoint fails until the
delivery is dead-lettered; staff see every attempt in GraphQL, re-queue it, and it arrives.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import pytest

from imm_graph.app import create_app
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.pluginhost.events import EventDispatcher
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings, run_once
from imm_graph.pluginhost.signing import verify
from tests import builders
from tests.conftest import GraphQLClient, MakeKey, bearer
from tests.example_plugin.migrate import migrate_example
from tests.http_receiver import Receiver
from tests.test_plugins import SECRET, configure_example, example, settings

__all__ = ["example"]  # a fixture, used by name below

DELIVERIES = """
query($status: DeliveryStatus) {
  outboxDeliveries(status: $status) {
    totalCount
    nodes { id plugin status attempts lastStatusCode
            attemptLog { attemptNo succeeded statusCode } }
  }
}
"""


@pytest.fixture
async def staff(
    example: None, monkeypatch: pytest.MonkeyPatch, database_url: str, make_key: MakeKey
) -> tuple[GraphQLClient, Database, PluginManager, Receiver]:
    partner = Receiver(statuses=[500, 503])  # then 200
    partner.__enter__()
    configure_example(monkeypatch, partner.url)
    plugins = PluginManager.load(settings())
    await migrate_example(database_url)
    db = Database(database_url, event_sink=EventDispatcher(plugins), plugins=plugins)
    app = create_app(
        Settings(database_url=database_url, environment="test"), database=db, plugins=plugins
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://imm.test")
    gql = GraphQLClient(http, bearer(await make_key(["admin"])))
    yield gql, db, plugins, partner
    await http.aclose()
    await db.dispose()
    partner.__exit__(None, None, None)


async def test_plugin_query_and_route_are_served(staff: tuple) -> None:
    gql, *_ = staff
    assert (await gql("{ exampleGreeting }")) == {
        "exampleGreeting": "Hello from the example plug-in"
    }
    response = await gql.http.get("/plugins/example/status", headers=gql.headers)  # admin
    assert response.json() == {"plugin": "example", "waitingDeliveries": 0}


async def test_a_failed_delivery_is_dead_lettered_seen_and_requeued(staff: tuple) -> None:
    gql, db, plugins, partner = staff
    async with db.transaction() as session:
        host = await builders.organisation(session)
        hub = await builders.hub(session, host.id)
    recorded = await gql(
        """mutation($hub: ID!) { recordSession(input: {hub: $hub, date: "2025-03-05",
             attendance: {olderPeople: 9}}) { session { id } errors { field } } }""",
        hub=encode_id("Hub", hub.id),
    )
    assert recorded["recordSession"]["errors"] == []
    assert (await gql(DELIVERIES))["outboxDeliveries"]["totalCount"] == 1

    outbox = OutboxSettings(max_attempts=2, base_delay_seconds=1, max_delay_seconds=1)
    now = dt.datetime.now(dt.UTC)
    async with httpx.AsyncClient() as client:
        first = await run_once(db, client, plugins=plugins, settings=outbox, now=now)
        later = now + dt.timedelta(minutes=5)
        second = await run_once(db, client, plugins=plugins, settings=outbox, now=later)
    assert (first.retrying, second.dead) == (1, 1)

    dead = (await gql(DELIVERIES, status="DEAD"))["outboxDeliveries"]["nodes"]
    [delivery] = dead
    assert delivery["attempts"] == 2 and delivery["lastStatusCode"] == 503
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 503]

    requeued = await gql(
        "mutation($id: ID!) { requeueDelivery(id: $id) { delivery { status attempts } "
        "errors { code } } }",
        id=delivery["id"],
    )
    assert requeued["requeueDelivery"] == {
        "delivery": {"status": "PENDING", "attempts": 0},
        "errors": [],
    }
    resent_at = later + dt.timedelta(minutes=5)
    async with httpx.AsyncClient() as client:
        third = await run_once(db, client, plugins=plugins, settings=outbox, now=resent_at)
    assert third.delivered == 1
    assert len(partner.requests) == 3  # 500, 503, then the re-queued one, answered 200
    last = partner.requests[-1]
    assert verify([SECRET], last.headers, last.body, now=resent_at.timestamp())


async def test_requeueing_a_delivered_delivery_is_refused(staff: tuple) -> None:
    gql, *_ = staff
    body = await gql(
        "mutation($id: ID!) { requeueDelivery(id: $id) { delivery { id } errors { code field } } }",
        id=encode_id("OutboxDelivery", 999),
    )
    assert body["requeueDelivery"]["errors"] == [{"code": "not_found", "field": "id"}]


async def test_deliveries_are_for_admin_keys_only(staff: tuple, make_key: MakeKey) -> None:
    gql, *_ = staff
    partner_key = bearer(await make_key(["read:core"]))
    body = await gql.raw("{ outboxDeliveries { totalCount } }", headers=partner_key)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["extensions"]["scope"] == "admin"


async def test_the_in_process_worker_sends_what_the_api_queued(
    example: None,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    db: Database,
    make_key: MakeKey,
) -> None:
    """`IMM_IN_PROCESS_WORKER`: one process serves the API and sends the deliveries."""
    async with db.transaction() as session:
        hub = await builders.hub(session, (await builders.organisation(session)).id)
    token = await make_key(["admin"])
    await migrate_example(database_url)
    with Receiver() as partner:
        configure_example(monkeypatch, partner.url)
        monkeypatch.setenv("IMM_OUTBOX_POLL_INTERVAL_SECONDS", "0.1")
        settings_ = Settings(database_url=database_url, environment="test", in_process_worker=True)
        app = create_app(settings_, plugins=PluginManager.load(settings()))
        async with app.router.lifespan_context(app):  # starts the worker, as uvicorn would
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.post(
                    "/graphql",
                    headers=bearer(token),
                    json={
                        "query": "mutation($hub: ID!) { recordSession(input: "
                        '{hub: $hub, date: "2025-03-05"}) { errors { field } } }',
                        "variables": {"hub": encode_id("Hub", hub.id)},
                    },
                )
                assert response.json()["data"]["recordSession"]["errors"] == []
                sent = await asyncio.to_thread(partner.received.wait, 30)
        assert sent, "the worker sent nothing"
        [request] = partner.requests
    assert verify([SECRET], request.headers, request.body, now=time.time())

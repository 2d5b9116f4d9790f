"""The worked example plug-in, end to end through the real app: every extension point in use.

It is installed the way pip leaves a distribution (a dist-info with an ``imm_graph.plugins``
entry point on ``sys.path``), its Alembic branch is migrated, and it is called over HTTP as a
partner would, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa
import typer
from starlette.applications import Starlette
from typer.testing import CliRunner

from imm_graph import models as m
from imm_graph.app import create_app
from imm_graph.cli.plugins import register
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.ids import encode_id
from imm_graph.migrate import head_revisions, pending
from imm_graph.plugin_api import collect
from imm_graph.pluginhost.jobs import run_due_jobs
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings, run_once
from imm_graph.pluginhost.signing import signature_headers, verify
from tests import builders
from tests.conftest import GraphQLClient, Install, MakeKey, bearer
from tests.example_plugin import hooks
from tests.example_plugin.migrate import migrate_example
from tests.example_plugin.models import ExampleDeliveryLog, ExampleJobRun, ExampleNote
from tests.http_receiver import Receiver
from tests.test_plugins import BUILT_IN

OUTBOUND = "whsec_" + base64.b64encode(b"we-sign-what-we-send-0123456789").decode()
INBOUND_OLD = "whsec_" + base64.b64encode(b"the-partner-signs-with-this-one-1").decode()
INBOUND_NEW = "whsec_" + base64.b64encode(b"and-after-rotating-with-this-one").decode()
PARTNER_TOKEN = "partner-own-token-7f3e"


@pytest.fixture
def partner() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def installed(install: Install, monkeypatch: pytest.MonkeyPatch, partner: Receiver) -> None:
    install("imm-graph-example-plugin", "1.2.3", {"example": "tests.example_plugin.hooks"})
    for name, value in {
        "ENDPOINT_URL": partner.url, "WEBHOOK_SECRET": OUTBOUND,
        "INBOUND_SECRETS": orjson.dumps([INBOUND_OLD, INBOUND_NEW]).decode(),
        "PARTNER_TOKEN": PARTNER_TOKEN,
    }.items():
        monkeypatch.setenv(f"IMM_PLUGIN_EXAMPLE_{name}", value)
    monkeypatch.setenv("IMM_PLUGINS_DISABLED", ",".join(sorted(BUILT_IN)))


@pytest.fixture
async def app_env(installed: None, database_url: str) -> None:
    await migrate_example(database_url)  # the example's own Alembic branch


@pytest.fixture
async def hub(db: Database) -> int:
    async with db.transaction() as session:
        return (await builders.hub(session, (await builders.organisation(session)).id)).id


async def test_its_alembic_branch_is_a_head_of_its_own(
    installed: None, database_url: str, db: Database
) -> None:
    assert "example_0001" in head_revisions()
    assert await pending(db.engine) == {"example_0001"}
    await migrate_example(database_url)
    assert await pending(db.engine) == frozenset()
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ExampleNote)) == 0


async def test_declared_scopes_guard_its_fields_and_node_type(
    http: httpx.AsyncClient, make_key: MakeKey, hub: int
) -> None:
    writer = GraphQLClient(http, bearer(await make_key(["write:examples"])))
    # A writer learns the id of what it wrote, not the notes' content (that needs read:examples).
    added = await writer("""mutation($hub: ID!) { addExampleNote(hub: $hub, text: "Big room") {
        note { id } errors { code } } }""", hub=encode_id("Hub", hub))
    note = added["addExampleNote"]["note"]
    assert added["addExampleNote"]["errors"] == []

    reader = GraphQLClient(http, bearer(await make_key(["read:examples", "read:core"])))
    data = await reader("""query($hub: ID!, $note: ID!) {
        exampleNotes { totalCount nodes { text } }
        node(id: $note) { ... on ExampleNote { text } }
        hub: node(id: $hub) { ... on Hub { name exampleNotes { text } } } }""",
        hub=encode_id("Hub", hub), note=note["id"])
    assert data["exampleNotes"] == {"totalCount": 1, "nodes": [{"text": "Big room"}]}
    assert data["node"] == {"text": "Big room"}
    assert data["hub"]["exampleNotes"] == [{"text": "Big room"}]  # a field on a core type

    core_only = GraphQLClient(http, bearer(await make_key(["read:core"])))
    for query in ("{ exampleNotes { totalCount } }",
                  '{ node(id: "' + note["id"] + '") { id } }'):
        body = await core_only.raw(query)
        assert body["errors"][0]["extensions"]["scope"] == "read:examples", body
    # Public fields stay public.
    assert await GraphQLClient(http)("{ exampleGreeting }") == {
        "exampleGreeting": "Hello from the example plug-in"
    }


async def test_a_plugin_mutation_without_a_scope_needs_write_core(
    http: httpx.AsyncClient, make_key: MakeKey
) -> None:
    reader = GraphQLClient(http, bearer(await make_key(["read:core", "read:examples"])))
    refused = await reader.post("mutation { pingExample }")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["scope"] == "write:core"
    writer = GraphQLClient(http, bearer(await make_key(["write:core"])))
    assert await writer("mutation { pingExample }") == {"pingExample": "pong"}


async def test_a_partner_recognised_by_its_own_header_needs_no_api_key(
    http: httpx.AsyncClient,
) -> None:
    query = {"query": "{ exampleNotes { totalCount } }"}
    with_token = await http.post(
        "/graphql", json=query, headers={"X-Example-Token": PARTNER_TOKEN}
    )
    assert with_token.json() == {"data": {"exampleNotes": {"totalCount": 0}}}
    wrong = await http.post("/graphql", json=query, headers={"X-Example-Token": "guess"})
    assert wrong.status_code == 403  # anonymous: refused for the scope


async def test_routes_keep_their_own_access_policies(
    http: httpx.AsyncClient, make_key: MakeKey
) -> None:
    # An API key with the route's scope …
    status = await http.get("/plugins/example/status",
                            headers=bearer(await make_key(["read:examples"])))
    assert status.json() == {"plugin": "example", "waitingDeliveries": 0}
    refused = await http.get(
        "/plugins/example/status", headers=bearer(await make_key(["read:core"]))
    )
    assert refused.status_code == 403 and refused.json()["scope"] == "read:examples"
    # … a public route ignores a stale key, keeps its own Cache-Control and its own budget.
    stale = {"Authorization": "Bearer imm_aaaaaaaaaaaa_" + "b" * 43}
    answers = [await http.get("/plugins/example/hello", headers=stale) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["cache-control"] == "public, max-age=60"
    assert answers[0].headers["x-content-type-options"] == "nosniff"  # still the gateway's


def signed(body: bytes, secret: str = INBOUND_OLD, message_id: str = "msg_1", skew: int = 0
           ) -> dict[str, str]:
    return {**signature_headers(secret, message_id, int(time.time()) + skew, body),
            "content-type": "application/json"}


async def test_a_signed_webhook_is_processed_once_per_id(
    http: httpx.AsyncClient, db: Database, hub: int
) -> None:
    body = orjson.dumps({"hubId": hub, "text": "from the partner"})
    unsigned = await http.post("/plugins/example/inbound", content=body)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "missing_headers"
    forged = await http.post("/plugins/example/inbound", content=body,
                             headers=signed(body, secret=OUTBOUND))
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    future = await http.post(
        "/plugins/example/inbound", content=body, headers=signed(body, skew=301)
    )
    assert future.json()["code"] == "future_timestamp"

    first = await http.post("/plugins/example/inbound", content=body, headers=signed(body))
    again = await http.post("/plugins/example/inbound", content=body, headers=signed(body))
    assert first.status_code == again.status_code == 201
    assert first.content == again.content  # the stored answer, byte for byte
    other = orjson.dumps({"hubId": hub, "text": "something else"})
    conflict = await http.post("/plugins/example/inbound", content=other, headers=signed(other))
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    # The rotated-in secret works too.
    rotated = await http.post("/plugins/example/inbound", content=other,
                              headers=signed(other, INBOUND_NEW, "msg_2"))
    assert rotated.status_code == 201
    async with db.sessions() as session:
        texts = list(await session.scalars(sa.select(ExampleNote.text).order_by(ExampleNote.id)))
    assert texts == ["from the partner", "something else"]


async def test_twenty_concurrent_copies_make_one_note(
    http: httpx.AsyncClient, db: Database, hub: int
) -> None:
    body = orjson.dumps({"hubId": hub, "text": "sent twenty times"})
    headers = signed(body, message_id="msg_burst")
    answers = await asyncio.gather(*(
        http.post("/plugins/example/inbound", content=body, headers=headers) for _ in range(20)
    ))
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ExampleNote)) == 1


async def test_events_reach_the_partner_in_order_with_credentials_and_a_result(
    app: Starlette, db: Database, hub: int, partner: Receiver
) -> None:
    async with db.transaction() as session:
        for day in (1, 2, 3):
            await builders.session_at(session, hub, dt.date(2025, 3, day), staff=day)
    plugins: PluginManager = app.state.plugins
    async with db.sessions() as session:
        queued = list(await session.scalars(
            sa.select(m.OutboxDelivery).order_by(m.OutboxDelivery.id)
        ))
    assert {q.ordering_key for q in queued} == {f"hub:{hub}"}
    async with httpx.AsyncClient() as client:
        for _ in range(3):  # one at a time per ordering key: one per run
            report = await run_once(db, client, plugins=plugins,
                                    settings=OutboxSettings(batch_size=10))
            assert report.delivered == 1
    ids = [orjson.loads(r.body)["id"] for r in partner.requests]
    async with db.sessions() as session:
        recorded = list(await session.scalars(sa.select(m.Session.id).order_by(m.Session.id)))
        log = list(await session.scalars(sa.select(ExampleDeliveryLog.outcome)))
    assert ids == [str(i) for i in recorded]  # in the order they were recorded
    for request in partner.requests:
        assert request.headers["authorization"] == "Bearer example-send-time-token"
        assert verify([OUTBOUND], request.headers, request.body, now=time.time())
        assert orjson.loads(request.body)["change"] == "created"
    assert log == ["delivered"] * 3  # imm_graph_delivery_result heard each


async def test_jobs_run_when_due_once_across_calls(app: Starlette, db: Database) -> None:
    plugins: PluginManager = app.state.plugins
    t0 = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
    first = await run_due_jobs(db, plugins, t0)
    not_yet = await run_due_jobs(db, plugins, t0 + dt.timedelta(minutes=59))
    later = await run_due_jobs(db, plugins, t0 + dt.timedelta(hours=1))
    assert [j.status for j in first] == ["ok"] and not_yet == []
    assert [j.status for j in later] == ["ok"]
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ExampleJobRun)) == 2


async def test_lifespan_health_and_contributions(
    installed: None, database_url: str, db: Database
) -> None:
    await migrate_example(database_url)
    hooks.LIFESPAN_EVENTS.clear()
    application = create_app(Settings(database_url=database_url, environment="test"),
                             database=db)
    async with application.router.lifespan_context(application):
        assert hooks.LIFESPAN_EVENTS == ["started"]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://imm.test"
        ) as client:
            health = (await client.get("/health")).json()
        async with db.transaction() as session:
            session.info["plugins"] = application.state.plugins
            contributions = await collect("example.counts", {"period": "2025-Q1"}, session)
            nothing = await collect("no.such.topic", {}, session)
    assert hooks.LIFESPAN_EVENTS == ["started", "stopped"]
    assert health["status"] == "ok"
    assert health["plugins"]["example"] == {"status": "ok", "jobRuns": 0}
    assert contributions == [("example", {"notes": 0, "asked": {"period": "2025-Q1"}})]
    assert nothing == []


def test_its_command_gets_its_settings(installed: None, partner: Receiver) -> None:
    cli = typer.Typer()
    register(cli, manager=PluginManager.load())
    result = CliRunner().invoke(cli, ["example", "hello"])
    assert result.exit_code == 0, result.output
    assert f"sending to {partner.url}" in result.output


def test_the_plugin_ships_its_migrations_inside_its_package() -> None:
    assert Path(hooks.imm_graph_migrations(), "example_0001_notes.py").is_file()


async def test_a_connection_below_a_core_type_pages_every_parent_in_one_statement(
    installed: None, database_url: str, db: Database, http: httpx.AsyncClient, make_key: MakeKey,
) -> None:
    """nested_connection_of: three hubs' notes are one statement for the pages and one for the
    totals, the where (hidden notes) applies, and paging forwards and backwards stays right."""
    await migrate_example(database_url)
    async with db.transaction() as session:
        org = (await builders.organisation(session)).id
        hubs = [(await builders.hub(session, org, code=f"h{i}", name=f"Hub {i}")).id
                for i in range(3)]
        for i, hub_id in enumerate(hubs):
            for n in range(i + 1):  # hub 0 has one note, hub 1 two, hub 2 three
                session.add(ExampleNote(hub_id=hub_id, text=f"{i}.{n}"))
            session.add(ExampleNote(hub_id=hub_id, text="(hidden)"))
    reader = GraphQLClient(http, bearer(await make_key(["read:examples", "read:core"])))
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
        hubs(first: 10, orderBy: {field: NAME}) { nodes { exampleNotePage(first: $first,
          after: $after, last: $last, before: $before) {
            totalCount nodes { text } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }"""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    db.driver_statement_observers.append(statements.append)
    try:
        data = await reader(query, first=1)
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        db.driver_statement_observers.remove(statements.append)
    assert len([s for s in statements if "example_notes" in s]) == 2  # pages, totals
    pages = [h["exampleNotePage"] for h in data["hubs"]["nodes"]]
    assert [(p["totalCount"], [n["text"] for n in p["nodes"]], p["pageInfo"]["hasNextPage"])
            for p in pages] == [(1, ["0.0"], False), (2, ["1.0"], True), (3, ["2.0"], True)]

    after = pages[2]["pageInfo"]["endCursor"]
    onward = await reader(query, first=5, after=after)
    assert [[n["text"] for n in h["exampleNotePage"]["nodes"]]
            for h in onward["hubs"]["nodes"]] == [[], [], ["2.1", "2.2"]]
    last = (await reader(query, last=2))["hubs"]["nodes"][2]["exampleNotePage"]
    assert [n["text"] for n in last["nodes"]] == ["2.1", "2.2"]
    assert last["pageInfo"]["hasPreviousPage"] is True

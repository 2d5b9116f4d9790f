"""Plug-in discovery, settings, order and the worked example, through real entry points.

Plug-ins are installed the way pip would leave them: a ``*.dist-info`` folder with an
``entry_points.txt`` in a directory on ``sys.path``, found by ``importlib.metadata``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import strawberry
import typer
from rich.console import Console
from starlette.applications import Starlette
from strawberry.tools import merge_types
from typer.testing import CliRunner

from imm_graph import models as m
from imm_graph.cli_plugins import register, show_plugins
from imm_graph.db import Base, Database
from imm_graph.events import DomainEvent
from imm_graph.migrate import target_metadata
from imm_graph.outbox import run_once, verify_signature
from imm_graph.plugin_api import hookimpl
from imm_graph.plugins import (
    PluginConfigError,
    PluginLoadError,
    PluginManager,
    PluginSettings,
    import_plugin_models,
)
from tests import builders
from tests.http_receiver import Receiver

SECRET = "example-secret-4f9a1c2e7b"
NO_BUILTINS = "imm_graph_tests_no_builtins"  # keeps real built-ins out of these tests
Install = Callable[..., Path]


def settings(**overrides: object) -> PluginSettings:
    return PluginSettings(builtin_package=NO_BUILTINS, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install a distribution (metadata, entry points, modules) into a directory on sys.path."""
    for name in [k for k in os.environ if k.startswith("IMM_PLUGIN")]:
        monkeypatch.delenv(name)
    written: list[str] = []

    def _install(
        dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str] | None = None
    ) -> Path:
        site = tmp_path / f"site-{dist}"
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[imm_graph.plugins]\n{lines}", encoding="utf-8")
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(source, encoding="utf-8")
            written.append(module)
        monkeypatch.syspath_prepend(str(site))
        return site

    yield _install
    for module in written:
        sys.modules.pop(module, None)


@pytest.fixture
def example(install: Install, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    install("imm-graph-example-plugin", "1.2.3", {"example": "tests.example_plugin.hooks"})
    yield


def configure_example(
    monkeypatch: pytest.MonkeyPatch, url: str = "https://partner.example.org/x"
) -> None:
    monkeypatch.setenv("IMM_PLUGIN_EXAMPLE_ENDPOINT_URL", url)
    monkeypatch.setenv("IMM_PLUGIN_EXAMPLE_WEBHOOK_SECRET", SECRET)


# --- discovery ------------------------------------------------------------------------------


def test_a_plugin_is_discovered_through_a_real_entry_point(
    example: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_example(monkeypatch)
    assert importlib.metadata.distribution("imm-graph-example-plugin").version == "1.2.3"

    manager = PluginManager.load(settings())

    [info] = manager.plugins
    assert (info.name, info.source, info.version, info.state) == (
        "example", "entry-point", "1.2.3", "enabled",
    )
    assert info.module == "tests.example_plugin.hooks"
    assert info.hooks == (
        "imm_graph_cli", "imm_graph_config_schema", "imm_graph_on_event", "imm_graph_routes",
        "imm_graph_schema",
    )
    assert manager.enabled == ["example"]
    config = manager.config_for("example")
    assert str(config.endpoint_url) == "https://partner.example.org/x"  # type: ignore[union-attr]
    assert manager.secret("example", "webhook_secret") == SECRET
    assert SECRET not in repr(config) and SECRET not in str(config)


def test_no_plugins_installed_and_no_builtin_package_is_fine() -> None:
    manager = PluginManager.load(settings(enabled=[]))
    assert manager.routes() == [] and manager.schema_contributions() == []


def test_builtin_plugins_are_the_sub_packages_of_the_builtin_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "builtins_root"
    (root / "imm_test_builtins" / "hello").mkdir(parents=True)
    (root / "imm_test_builtins" / "_shared").mkdir()
    (root / "imm_test_builtins" / "__init__.py").write_text("")
    (root / "imm_test_builtins" / "_shared" / "__init__.py").write_text("")
    (root / "imm_test_builtins" / "hello" / "__init__.py").write_text(
        "from imm_graph.plugin_api import hookimpl\n"
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n\n"
        "@hookimpl\n"
        "def imm_graph_routes():\n"
        "    return [Route('/hi', lambda request: PlainTextResponse('hi'))]\n"
    )
    (root / "imm_test_empty_builtins").mkdir()
    (root / "imm_test_empty_builtins" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(root))
    try:
        manager = PluginManager.load(PluginSettings(builtin_package="imm_test_builtins"))
        empty = PluginManager.load(PluginSettings(builtin_package="imm_test_empty_builtins"))
    finally:
        for name in [n for n in sys.modules if n.startswith("imm_test_")]:
            sys.modules.pop(name)

    [info] = manager.plugins
    assert (info.name, info.source, info.module) == ("hello", "builtin", "imm_test_builtins.hello")
    assert info.version == importlib.metadata.version("imm-graph")
    assert [mount.path for mount in manager.routes()] == ["/plugins/hello"]
    assert empty.plugins == []


# --- the worked example: GraphQL, a route, CLI, event -> outbox -> partner ---------------------


async def test_the_example_contributes_a_query_a_route_and_a_command(
    example: None, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    configure_example(monkeypatch)
    manager = PluginManager.load(settings())

    @strawberry.type
    class CoreQuery:
        @strawberry.field
        def version(self) -> str:
            return "core"

    [contribution] = manager.schema_contributions()
    assert contribution.plugin == "example"
    schema = strawberry.Schema(query=merge_types("Query", (CoreQuery, *contribution.queries)))
    result = await schema.execute("{ version exampleGreeting }")
    assert result.errors is None
    assert result.data == {"version": "core", "exampleGreeting": "Hello from the example plug-in"}

    app = Starlette(routes=manager.routes())
    app.state.db = db
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
    ) as client:
        response = await client.get("/plugins/example/status")
    assert response.status_code == 200
    assert response.json() == {"plugin": "example", "waitingDeliveries": 0}

    cli = typer.Typer()
    register(cli, manager=manager)
    runner = CliRunner()
    hello = runner.invoke(cli, ["example", "hello"])
    assert hello.exit_code == 0 and "hello from the example plug-in" in hello.output
    listing = runner.invoke(cli, ["plugins"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0
    assert all(word in listing.output for word in ("example", "1.2.3", "entry-point", "enabled"))
    assert "on_event" in listing.output


async def test_the_example_tells_its_partner_about_a_recorded_session(
    example: None, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    with Receiver() as partner:
        configure_example(monkeypatch, partner.url)
        manager = PluginManager.load(settings())
        db = Database(database_url, event_sink=manager.event_dispatcher())
        async with db.transaction() as session:
            host = await builders.organisation(session)
            hub = await builders.hub(session, host.id)
            recorded = await builders.session_at(session, hub.id, dt.date(2025, 3, 5))
        async with db.sessions() as session:
            [queued] = (await session.scalars(sa.select(m.OutboxDelivery))).all()
        assert queued.plugin == "example" and queued.secret_ref == "webhook_secret"

        async with httpx.AsyncClient() as client:
            report = await run_once(db, client, secrets=manager.secret)
        await db.dispose()

    assert report.delivered == 1
    [request] = partner.requests
    body = json.loads(request.body)
    assert body["event"] == "session.recorded" and body["id"] == str(recorded.id)
    assert body["eventId"] == queued.event_id
    assert verify_signature(SECRET, request.headers["x-imm-signature"], request.body)


async def test_the_worker_command_sends_queued_deliveries(
    example: None, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    with Receiver() as partner:
        configure_example(monkeypatch, partner.url)
        monkeypatch.setenv("IMM_DATABASE_URL", database_url)
        monkeypatch.setenv("IMM_PLUGINS_BUILTIN_PACKAGE", NO_BUILTINS)
        manager = PluginManager.load(settings())
        db = Database(database_url, event_sink=manager.event_dispatcher())
        async with db.transaction() as session:
            host = await builders.organisation(session)
            hub = await builders.hub(session, host.id)
            await builders.session_at(session, hub.id, dt.date(2025, 3, 5))
        await db.dispose()
        cli = typer.Typer()
        register(cli)
        # The command runs its own event loop, so it gets a thread of its own.
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["worker", "--once"], env={"COLUMNS": "200"}
        )

    assert result.exit_code == 0, result.output
    assert "deliveries" in result.output and len(partner.requests) == 1
    assert verify_signature(SECRET, partner.requests[0].headers["x-imm-signature"],
                            partner.requests[0].body)


# --- enable, disable, settings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [("IMM_PLUGINS_DISABLED", "example"), ("IMM_PLUGINS_ENABLED", "")],
)
def test_a_plugin_can_be_disabled_by_setting(
    example: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)  # and no plug-in settings: a disabled one needs none

    manager = PluginManager.load(settings())

    [info] = manager.plugins
    assert (info.state, info.enabled, info.hooks) == ("disabled", False, ())
    assert manager.enabled == [] and manager.routes() == []
    assert manager.schema_contributions() == []
    with pytest.raises(KeyError):
        manager.config_for("example")
    assert manager.secret("example", "webhook_secret") is None


def test_enabling_a_plugin_that_is_not_installed_is_an_error(example: None) -> None:
    with pytest.raises(PluginLoadError, match="'social_prescribing': enabled in IMM_PLUGINS"):
        PluginManager.load(settings(enabled=["social_prescribing"]))


def test_missing_settings_name_the_plugin_the_fields_and_the_variables(example: None) -> None:
    with pytest.raises(PluginConfigError) as refused:
        PluginManager.load(settings())

    error = refused.value
    assert error.plugin == "example"
    assert {(p.field, p.code) for p in error.problems} == {
        ("endpoint_url", "missing"), ("webhook_secret", "missing"),
    }
    assert "plug-in 'example'" in str(error)
    assert "IMM_PLUGIN_EXAMPLE_WEBHOOK_SECRET" in str(error)


@pytest.mark.parametrize(
    ("field", "bad_value", "code"),
    [
        ("WEBHOOK_SECRET", "hunter2-short", "too_short"),
        ("ENDPOINT_URL", "partner-hunter2-endpoint", "url_parsing"),
    ],
)
def test_bad_settings_are_rejected_without_echoing_the_value(
    example: None, monkeypatch: pytest.MonkeyPatch, field: str, bad_value: str, code: str
) -> None:
    configure_example(monkeypatch)
    monkeypatch.setenv(f"IMM_PLUGIN_EXAMPLE_{field}", bad_value)

    with pytest.raises(PluginConfigError) as refused:
        PluginManager.load(settings())

    error = refused.value
    [problem] = error.problems
    assert (problem.field, problem.code) == (field.lower(), code)
    assert problem.env == f"IMM_PLUGIN_EXAMPLE_{field}"
    rendered = "".join(traceback.format_exception(error)) + repr(error) + str(error)
    assert bad_value not in rendered and SECRET not in rendered
    assert error.__cause__ is None and error.__context__ is None


def test_a_non_strict_load_shows_the_broken_plugin_instead_of_failing(
    example: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMM_PLUGIN_EXAMPLE_WEBHOOK_SECRET", "hunter2-short")

    manager = PluginManager.load(settings(), strict=False)

    [info] = manager.plugins
    assert info.state == "error" and not info.active and manager.enabled == []
    assert info.error is not None and "webhook_secret" in info.error
    console = Console(record=True, width=200)
    show_plugins(manager, console)
    text = console.export_text()
    assert "error" in text and "endpoint_url" in text and "hunter2-short" not in text


def test_settings_come_from_a_file_with_environment_variables_on_top(
    example: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "plugins.toml"
    path.write_text(
        '[example]\nendpoint_url = "https://file.example.org/hook"\n'
        f'webhook_secret = "{SECRET}"\nnotify_on = ["session.recorded", "hub.saved"]\n'
    )
    monkeypatch.setenv("IMM_PLUGIN_EXAMPLE_ENDPOINT_URL", "https://env.example.org/hook")
    monkeypatch.setenv("IMM_PLUGIN_EXAMPLE_NOTIFY_ON", '["assessment.recorded"]')

    config = PluginManager.load(settings(config_file=path)).config_for("example")

    assert str(config.endpoint_url) == "https://env.example.org/hook"  # type: ignore[union-attr]
    assert config.notify_on == ["assessment.recorded"]  # type: ignore[union-attr]
    assert config.webhook_secret.get_secret_value() == SECRET  # type: ignore[union-attr]

    path.write_text(f'[example]\nendpoint_url = "https://x.org"\nwebhook_secret = "{SECRET}"\n'
                    'webhok_secret = "typo-in-a-key"\n')
    with pytest.raises(PluginConfigError) as refused:
        PluginManager.load(settings(config_file=path))
    assert [p.field for p in refused.value.problems] == ["webhok_secret"]
    assert "typo-in-a-key" not in str(refused.value)


# --- order and contract -------------------------------------------------------------------

PROBE = """
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from imm_graph.plugin_api import hookimpl

@hookimpl
def imm_graph_on_event(event):
    event.payload["calls"].append("{name}")

@hookimpl
def imm_graph_routes():
    return [Route("/who", lambda request: PlainTextResponse("{name}"))]
"""


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ([], ["alpha", "beta"]),
        (["beta"], ["beta", "alpha"]),
        (["beta", "alpha"], ["beta", "alpha"]),
    ],
)
async def test_hooks_run_in_the_configured_order(
    install: Install, db: Database, order: list[str], expected: list[str]
) -> None:
    install(
        "imm-graph-probes", "0.1",
        {"beta": "imm_probe_beta", "alpha": "imm_probe_alpha"},
        {f"imm_probe_{n}": PROBE.replace("{name}", n) for n in ("alpha", "beta")},
    )

    manager = PluginManager.load(settings(order=order))

    assert manager.enabled == expected
    assert [info.name for info in manager.plugins] == expected
    calls: list[str] = []
    event = DomainEvent(
        id=0, name="probe.called", entity="probe", entity_id="1",
        occurred_at=dt.datetime.now(dt.UTC), payload={"calls": calls},
    )
    async with db.transaction() as session:
        assert await manager.dispatch_event(session, event) == []
    assert calls == expected
    assert [mount.path for mount in manager.routes()] == [f"/plugins/{n}" for n in expected]
    # Even plain pluggy calls follow the order (pluggy calls the last registered first).
    direct = manager.hook.imm_graph_routes(config=None)
    assert [routes[0].endpoint(None).body.decode() for routes in direct] == expected


def test_a_misspelt_hook_is_refused_with_the_plugin_named() -> None:
    class Typo:
        @hookimpl
        def imm_graph_on_evnt(self, event: DomainEvent) -> None:  # not a hook
            raise AssertionError

    with pytest.raises(PluginLoadError, match="'typo': breaks the hook contract"):
        PluginManager.load(settings(), extra=[("typo", Typo())])


def test_a_plugin_that_fails_to_import_is_named(install: Install) -> None:
    install("imm-graph-broken", "0.1", {"broken": "imm_probe_broken"},
            {"imm_probe_broken": "raise RuntimeError('cannot reach the licence server')\n"})

    with pytest.raises(PluginLoadError, match="'broken': cannot import imm_probe_broken"):
        PluginManager.load(settings())
    manager = PluginManager.load(settings(), strict=False)
    assert manager.plugins[0].state == "error" and manager.enabled == []


def test_plugin_tables_reach_the_migration_metadata(install: Install) -> None:
    install(
        "imm-graph-tables", "0.1", {"tables": "imm_probe_tables"},
        {"imm_probe_tables": (
            "import sqlalchemy as sa\n"
            "from imm_graph.db import Base\n"
            "from imm_graph.plugin_api import hookimpl\n\n"
            "@hookimpl\n"
            "def imm_graph_models():\n"
            "    if 'tables_things' not in Base.metadata.tables:\n"
            "        sa.Table('tables_things', Base.metadata, sa.Column('id', sa.Integer,"
            " primary_key=True))\n"
        )},
    )
    try:
        assert import_plugin_models(settings(disabled=["tables"])) == ["tables"]
        assert "tables_things" in target_metadata().tables  # disabled or not
    finally:
        if "tables_things" in Base.metadata.tables:
            Base.metadata.remove(Base.metadata.tables["tables_things"])

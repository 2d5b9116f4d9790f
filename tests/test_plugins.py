"""Plug-in discovery, settings, order and the worked example, through real entry points.

Plug-ins are installed the way pip would leave them: a ``*.dist-info`` folder with an
``entry_points.txt`` in a directory on ``sys.path``, found by ``importlib.metadata``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import os
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from imm_graph.cli.plugins import register, show_plugins
from imm_graph.db import Base, Database
from imm_graph.migrate import target_metadata
from imm_graph.plugin_api import DomainEvent, hookimpl
from imm_graph.pluginhost.contract import HOOK_NAMES
from imm_graph.pluginhost.events import EventDispatcher
from imm_graph.pluginhost.manager import (
    PluginConfigError,
    PluginLoadError,
    PluginManager,
    PluginSettings,
    import_plugin_models,
)
from imm_graph.pluginhost.signing import verify
from tests import builders
from tests.conftest import Install
from tests.example_plugin.migrate import migrate_example
from tests.http_receiver import Receiver

SECRET = "example-secret-4f9a1c2e7b"
# IMM's own plug-ins are installed too (entry points of this project): these tests look at
# the ones they install themselves.
BUILT_IN = {ep.name for ep in importlib.metadata.entry_points(group="imm_graph.plugins")}


def settings(**overrides: object) -> PluginSettings:
    if "IMM_PLUGINS_DISABLED" not in os.environ:
        overrides.setdefault("disabled", sorted(BUILT_IN))
    return PluginSettings(**overrides)  # type: ignore[arg-type]


def mine(manager: PluginManager) -> list:
    return [info for info in manager.plugins if info.name not in BUILT_IN]


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

    [info] = mine(manager)
    assert (info.name, info.source, info.version, info.state) == (
        "example", "entry-point", "1.2.3", "enabled",
    )
    assert info.module == "tests.example_plugin.hooks"
    # The example implements every hook of the contract.
    assert set(info.hooks) == set(HOOK_NAMES)
    assert manager.enabled == ["example"]
    config = manager.config_for("example")
    assert str(config.endpoint_url) == "https://partner.example.org/x"  # type: ignore[union-attr]
    assert manager.secret("example", "webhook_secret") == SECRET
    assert SECRET not in repr(config) and SECRET not in str(config)


def test_no_plugins_installed_and_no_builtin_package_is_fine() -> None:
    manager = PluginManager.load(settings(enabled=[]))
    assert manager.routes() == [] and manager.schema_contributions() == []


def test_imm_s_own_plugins_are_entry_points_of_this_project() -> None:
    """One discovery mechanism: the built-ins are declared in pyproject.toml like any other."""
    for ep in importlib.metadata.entry_points(group="imm_graph.plugins"):
        if ep.dist is not None and ep.dist.name == "imm-graph":
            assert ep.value == f"plugins.{ep.name}.hooks"


async def test_the_worker_command_sends_queued_deliveries(
    example: None, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    with Receiver() as partner:
        configure_example(monkeypatch, partner.url)
        monkeypatch.setenv("IMM_DATABASE_URL", database_url)
        monkeypatch.setenv("IMM_PLUGINS_DISABLED", ",".join(sorted(BUILT_IN)))
        manager = PluginManager.load(settings())
        await migrate_example(database_url)
        db = Database(database_url, event_sink=EventDispatcher(manager))
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
    [request] = partner.requests
    assert verify([SECRET], request.headers, request.body, now=time.time())
    # The credentials hook's header, fetched when sending.
    assert request.headers["authorization"] == "Bearer example-send-time-token"


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

    [info] = mine(manager)
    assert (info.state, info.enabled, info.hooks) == ("disabled", False, ())
    assert "example" not in manager.enabled
    assert "example" not in [plugin for plugin, _ in manager.routes()]
    assert "example" not in [c.plugin for c in manager.schema_contributions()]
    with pytest.raises(KeyError):
        manager.config_for("example")
    assert manager.secret("example", "webhook_secret") is None


def test_enabling_a_plugin_that_is_not_installed_is_an_error(example: None) -> None:
    with pytest.raises(PluginLoadError, match="'no_such_plugin': enabled in IMM_PLUGINS"):
        PluginManager.load(settings(enabled=["no_such_plugin"]))


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

    [info] = mine(manager)
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
    assert [info.name for info in mine(manager)] == expected
    calls: list[str] = []
    event = DomainEvent(
        id=0, name="probe.called", entity="probe", entity_id="1",
        occurred_at=dt.datetime.now(dt.UTC), payload={"calls": calls},
    )
    async with db.transaction() as session:
        assert await EventDispatcher(manager).dispatch(session, event) == []
    assert calls == expected
    assert [plugin for plugin, _ in manager.routes()] == expected
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
    assert mine(manager)[0].state == "error" and manager.enabled == []


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
        asked = import_plugin_models(settings(disabled=["tables"]))
        # The built-in plug-ins with tables of their own are asked too.
        assert [name for name in asked if name not in BUILT_IN] == ["tables"]
        assert "tables_things" in target_metadata().tables  # disabled or not
    finally:
        if "tables_things" in Base.metadata.tables:
            Base.metadata.remove(Base.metadata.tables["tables_things"])

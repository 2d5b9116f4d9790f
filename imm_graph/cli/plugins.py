"""``imm-graph plugins`` and ``imm-graph worker``: the command-line face of the plug-in system.

``cli.py`` calls :func:`register` once; with a (non-strict) plug-in manager it also adds the
plug-ins' own commands. The worker always loads plug-ins strictly: it signs and sends with
their settings, so a plug-in with bad settings must stop it rather than be skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from imm_graph.cli.runtime import open_database
from imm_graph.config import Settings
from imm_graph.logging import configure_logging, get_logger
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings
from imm_graph.pluginhost.settings import PluginError
from imm_graph.pluginhost.worker import Cycle, cycle, run_forever


def register(app: typer.Typer, *, manager: PluginManager | None = None) -> None:
    """Add ``plugins`` and ``worker`` to ``app`` (and, given a manager, the plug-ins' commands)."""
    if manager is not None:
        manager.extend_cli(app)

    @app.command("plugins")
    def plugins_command() -> None:
        """List installed plug-ins: version, where they come from, hooks and state."""
        show_plugins(manager or PluginManager.load(strict=False), Console())

    @app.command("worker")
    def worker_command(
        once: Annotated[
            bool, typer.Option("--once", help="Run one cycle (a batch of deliveries and retries).")
        ] = False,
        interval: Annotated[
            float | None,
            typer.Option(
                min=0.1,
                help="Seconds to wait when idle (default: IMM_OUTBOX_POLL_INTERVAL_SECONDS).",
            ),
        ] = None,
    ) -> None:
        """Send queued partner deliveries and retry failed plug-in event hooks."""
        console = Console()
        try:
            plugins = PluginManager.load()
        except PluginError as exc:
            console.print(f"[red]Cannot start the worker:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
        asyncio.run(_work(plugins, console, once=once, interval=interval))


def show_plugins(manager: PluginManager, console: Console) -> None:
    infos = manager.plugins
    if not infos:
        console.print(
            "No plug-ins installed (plug-ins register the 'imm_graph.plugins' entry point)."
        )
        return
    table = Table(title="imm-graph plug-ins")
    for column in ("name", "version", "source", "hooks", "state"):
        table.add_column(column, overflow="fold")
    colours = {"enabled": "green", "disabled": "yellow", "error": "red"}
    for info in infos:
        hooks = ", ".join(h.removeprefix("imm_graph_") for h in info.hooks) or "-"
        state = f"[{colours[info.state]}]{info.state}[/]"
        table.add_row(info.name, info.version or "-", info.source, hooks, state)
    console.print(table)
    for info in infos:
        if info.error:
            console.print(f"[red]{info.name}:[/red] {info.error}", highlight=False)


async def _work(
    plugins: PluginManager, console: Console, *, once: bool, interval: float | None
) -> None:
    settings = Settings()
    configure_logging(json=settings.json_logs, level=settings.log_level)
    log = get_logger("imm_graph.worker")
    outbox_settings = OutboxSettings()
    db = open_database(plugins, settings)
    try:
        async with httpx.AsyncClient(
            timeout=outbox_settings.timeout_seconds, follow_redirects=False
        ) as client:
            if once:
                done = await cycle(db, client, plugins, settings=outbox_settings,
                                   production=settings.is_production)
                _summary(console, done)
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)

            def report(done: Cycle) -> None:
                if done.busy:
                    log.info(
                        "worker.cycle", **vars(done.deliveries),
                        **{f"events_{k}": v for k, v in vars(done.events).items()},
                        jobs=[f"{j.plugin}:{j.job}:{j.status}" for j in done.jobs],
                    )

            log.info("worker.started", plugins=plugins.enabled)
            await run_forever(
                db, client, plugins, settings=outbox_settings, interval=interval, stop=stop,
                on_cycle=report, production=settings.is_production,
            )
            log.info("worker.stopped")
    finally:
        await db.dispose()


def _summary(console: Console, done: Cycle) -> None:
    table = Table(title="worker: one cycle")
    table.add_column("work")
    for column in ("claimed", "delivered", "retrying", "dead / gone"):
        table.add_column(column, justify="right")
    d, e = done.deliveries, done.events
    table.add_row("deliveries", str(d.claimed), str(d.delivered), str(d.retrying),
                  f"{d.dead} / {d.gone}")
    table.add_row("event hooks", str(e.attempted), str(e.succeeded), str(e.failed), str(e.dead))
    console.print(table)
    for job in done.jobs:
        console.print(f"job {job.plugin}:{job.job}: {job.status}"
                      + (f" ({job.error})" if job.error else ""), highlight=False)

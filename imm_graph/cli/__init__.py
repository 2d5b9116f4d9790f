"""The `imm-graph` command: what IMM staff run to set up, load, serve and report.

Sub-commands from plug-ins are added through the `imm_graph_cli` hook.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from imm_graph.cli.errors import DatabaseErrorGroup
from imm_graph.cli.keys import audit_app, keys_app
from imm_graph.cli.plugins import register as register_plugin_commands
from imm_graph.cli.runtime import with_database
from imm_graph.cli.server import ServeError
from imm_graph.cli.server import serve as run_server
from imm_graph.config import get_settings
from imm_graph.db import Database
from imm_graph.demo import demo_sizes, seed_demo
from imm_graph.logging import configure_logging
from imm_graph.migrate import current_revisions, upgrade
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.schema.build import schema_sdl
from imm_graph.security import crypto

app = typer.Typer(
    cls=DatabaseErrorGroup,  # a database that cannot be used is one line, not a traceback
    help="imm_graph: the partner data platform of Intergenerational Music Making.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets or personal data
)
console = Console(stderr=True, soft_wrap=True)  # no breaks at 80 columns in pipes and logs


@app.command()
def migrate(
    revision: Annotated[
        str, typer.Argument(help="Target revision (default: the head of every branch)")
    ] = "heads",
) -> None:
    """Bring the database schema up to date (Alembic: the core's and every plug-in's branch)."""

    async def work(db: Database) -> str:
        await upgrade(db.engine, revision)
        return ", ".join(sorted(await current_revisions(db.engine)))

    console.print(f"[green]Database at revision {with_database(work, plugins=False)}[/green]")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data set")] = False,
) -> None:
    """Load data. `--demo` loads the realistic demo set drawn from IMM's published reports."""
    if not demo:
        console.print("Nothing to do: pass --demo to load the demo data set.")
        raise typer.Exit(1)
    # One bar per table, each out of the rows that table gets. Transient, and off when stderr
    # is no terminal: a failure then reads as its one line, and logs get no bar frames.
    with Progress(
        TextColumn("[bold]Seeding {task.description:<13}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal,
    ) as bar:
        tasks = {step: bar.add_task(step, total=rows) for step, rows in demo_sizes().items()}

        def advance(step: str, n: int) -> None:
            bar.update(tasks[step], advance=n)

        counts = with_database(lambda db: seed_demo(db, advance))
    table = Table("table", "rows", title="Demo data")
    for name, rows in counts.items():
        table.add_row(name, str(rows))
    Console().print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development)")] = False,
) -> None:
    """Serve the API (GraphQL at /graphql, health at /health) with uvicorn."""
    try:
        run_server(
            get_settings(), host, port, workers=workers, reload=reload,
            announce=lambda: console.print(
                f"Serving on http://{host}:{port}/graphql  (health: /health)", highlight=False
            ),
        )
    except (ServeError, crypto.ConfigurationError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        raise typer.Exit(1) from None


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the SDL")] = Path(
        "schema.graphql"
    ),
) -> None:
    """Write the GraphQL schema (SDL), so schema changes show up in review."""
    output.write_text(schema_sdl(get_settings(), PluginManager.load(strict=False)))
    console.print(f"Wrote {output}")


app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


def main() -> None:
    # First, so that everything logged from here on (plug-in loading, the development-keys
    # warning) goes to stderr in the configured format: stdout belongs to command output.
    settings = get_settings()
    configure_logging(json=settings.json_logs, level=settings.log_level)
    register_plugin_commands(app, manager=PluginManager.load(strict=False))
    app()


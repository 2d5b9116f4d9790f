"""The `imm-graph` command: what IMM staff run to set up, load, serve and report.

Sub-commands from plug-ins are added through the `imm_graph_cli` hook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from imm_graph.cli_keys import audit_app, keys_app
from imm_graph.cli_plugins import register as register_plugin_commands
from imm_graph.config import get_settings
from imm_graph.db import Database
from imm_graph.plugins import PluginManager

app = typer.Typer(
    help="imm_graph: the partner data platform of Intergenerational Music Making.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets or personal data
)
console = Console(stderr=True)
T = TypeVar("T")


def _with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        # Writes from the command line raise domain events for plug-ins like any other write.
        plugins = PluginManager.load()
        db = Database(get_settings().database_url, event_sink=plugins.event_dispatcher())
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Bring the database schema up to date (Alembic)."""
    from imm_graph.migrate import current_revision, upgrade

    async def work(db: Database) -> str | None:
        await upgrade(db.engine, revision)
        return await current_revision(db.engine)

    console.print(f"[green]Database at revision {_with_db(work)}[/green]")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data set")] = False,
) -> None:
    """Load data. `--demo` loads the realistic demo set drawn from IMM's published reports."""
    if not demo:
        console.print("Nothing to do: pass --demo to load the demo data set.")
        raise typer.Exit(1)
    from imm_graph.demo import demo_size, seed_demo

    with Progress(
        TextColumn("[bold]Seeding {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:
        task = bar.add_task("demo data", total=demo_size())

        def advance(what: str, n: int) -> None:
            bar.update(task, advance=n, description=what)

        counts = _with_db(lambda db: seed_demo(db, advance))
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
    import uvicorn

    console.print(f"Serving on http://{host}:{port}/graphql  (health: /health)")
    uvicorn.run(
        "imm_graph.app:create_app", factory=True, host=host, port=port, workers=workers,
        reload=reload, log_level="info", proxy_headers=True,
    )


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the SDL")] = Path(
        "schema.graphql"
    ),
) -> None:
    """Write the GraphQL schema (SDL), so schema changes show up in review."""
    from imm_graph.schema.build import schema_sdl

    output.write_text(schema_sdl(get_settings(), PluginManager.load(strict=False)))
    console.print(f"Wrote {output}")


app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


def main() -> None:
    register_plugin_commands(app, manager=PluginManager.load(strict=False))
    app()


if __name__ == "__main__":
    main()

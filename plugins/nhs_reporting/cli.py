"""``imm-graph nhs-reporting ...``: what IMM staff run to prepare returns by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from imm_graph.plugin_api import Actor, Database, ValidationError, with_database
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.figures import SECTIONS
from plugins.nhs_reporting.periods import parse_period
from plugins.nhs_reporting.settings import NhsReportingSettings

FORMATS = ("csv", "xlsx", "json", "datapackage")


def _fail(exc: ValidationError) -> None:
    console = Console(stderr=True, soft_wrap=True)
    for error in exc.errors:
        console.print(f"[red]{error.field}: {error.message} ({error.code})[/red]")
    raise typer.Exit(2)


def build(config: NhsReportingSettings | None) -> typer.Typer:
    settings = config or NhsReportingSettings()
    app = typer.Typer(help="NHS commissioner returns: define commissioners, generate returns.",
                      no_args_is_help=True)

    @app.command()
    def generate(
        commissioner: Annotated[str, typer.Option(help="The commissioner's ODS code, e.g. QRV")],
        period: Annotated[str, typer.Option(help="'FY2024/25 Q3', '2024-11' or "
                                                 "'2024-10-01..2024-12-31'")],
        format: Annotated[str, typer.Option(help=f"One of {', '.join(FORMATS)}")] = "csv",
        output: Annotated[Path | None, typer.Option(
            help="Where to write the file (default: its own name in the current folder; "
                 "'-' for standard output)")] = None,
    ) -> None:
        """Compute (or refresh the draft of) a return and write it in one format."""
        if format not in FORMATS:
            _fail(ValidationError.single("format", "unknown_format",
                                         f"format must be one of {', '.join(FORMATS)}"))
        try:
            parsed = parse_period(period, "period")
        except ValidationError as exc:
            _fail(exc)
        console = Console(stderr=True, soft_wrap=True)

        async def work(db: Database) -> tuple[bytes, str, int, list[str]]:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("Computing the return", total=len(SECTIONS) + 1)
                async with db.transaction(actor=Actor.cli()) as session:
                    owner = await returns.commissioner_by_ods(session, commissioner)
                    ret = await returns.generate(
                        session, owner, parsed, by=Actor.cli().label,
                        within_days=settings.within_days,
                        progress=lambda name: bar.update(
                            task, advance=1, description=f"Computed {name.replace('_', ' ')}"))
                    body = returns.files(ret, owner, format)
                    stem = returns.header_of(ret, owner).stem
                    bar.update(task, advance=1, description="Rendered")
                    return body, stem, ret.version, list(ret.warnings)

        try:
            body, stem, version, warnings = with_database(work)
        except ValidationError as exc:
            _fail(exc)
        if output is not None and str(output) == "-":
            sys.stdout.buffer.write(body)
        else:
            suffix = "datapackage.json" if format == "datapackage" else format
            target = output or Path(f"{stem}.{suffix}")
            target.write_bytes(body)
            console.print(f"[green]Wrote {target} (version {version}, draft)[/green]")
        for warning in warnings:
            console.print(f"[yellow]warning: {warning}[/yellow]")

    @app.command("define-commissioner")
    def define_commissioner(
        ods_code: Annotated[str, typer.Option(help="ODS code, e.g. QRV")],
        kind: Annotated[str, typer.Option(help="icb, pcn, trust or local_authority")],
        name: Annotated[str, typer.Option(help="The commissioner's name")],
        hub: Annotated[list[str] | None, typer.Option(
            help="A hub code it commissions (repeat; none: all of IMM's work)")] = None,
        submission_url: Annotated[str | None, typer.Option(
            help="Where submissions are POSTed (none: downloaded)")] = None,
    ) -> None:
        """Add a commissioner, or update the one with this ODS code."""

        async def work(db: Database) -> str:
            async with db.transaction(actor=Actor.cli()) as session:
                row = await returns.define_commissioner(
                    session, ods_code=ods_code, kind=kind, name=name,
                    hub_codes=hub or None, submission_url=submission_url)
                return row.ods_code

        try:
            code = with_database(work)
        except ValidationError as exc:
            _fail(exc)
        Console(stderr=True, soft_wrap=True).print(f"[green]Commissioner {code} saved[/green]")

    return app

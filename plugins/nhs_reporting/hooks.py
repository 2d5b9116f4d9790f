"""The nhs_reporting plug-in's hooks: the only module the entry point names."""

from __future__ import annotations

from pathlib import Path

from imm_graph.plugin_api import hookimpl


@hookimpl
def imm_graph_models() -> None:
    from plugins.nhs_reporting import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")

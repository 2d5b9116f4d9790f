"""The podcast plug-in's hook implementations (the module the entry point names)."""

from __future__ import annotations

from pathlib import Path

from imm_graph.plugin_api import hookimpl
from plugins.podcast.settings import PodcastSettings


@hookimpl
def imm_graph_config_schema() -> type[PodcastSettings]:
    return PodcastSettings


@hookimpl
def imm_graph_models() -> None:
    from plugins.podcast import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")

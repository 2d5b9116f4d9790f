"""The committed schema.graphql is the schema the code builds: changes show up in review."""

from __future__ import annotations

from pathlib import Path

from imm_graph.config import Settings
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.schema.build import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_is_current() -> None:
    current = schema_sdl(Settings(environment="test"), PluginManager.load(strict=False))
    assert SCHEMA_FILE.read_text() == current, (
        "schema.graphql is out of date: run `imm-graph export-schema` and commit the result"
    )

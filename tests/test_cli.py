"""The imm-graph command, run as staff would run it: in its own process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from imm_graph.migrate import head_revisions


def imm_graph(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMM_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "imm_graph.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def _counts(output: str) -> dict[str, int]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if len(cells) == 2 and cells[1].isdigit():
            rows[cells[0]] = int(cells[1])
    return rows


async def test_seed_demo_twice_gives_the_same_counts(database_url: str) -> None:
    first = imm_graph("seed", "--demo", database_url=database_url)
    assert first.returncode == 0, first.stderr
    second = imm_graph("seed", "--demo", database_url=database_url)
    assert second.returncode == 0, second.stderr
    counts = _counts(first.stdout)
    assert counts == _counts(second.stdout)
    # The real hubs from the annual report: 8 London boroughs, 4 in Hounslow, Woking, Guildford.
    assert counts["hubs"] == 14
    assert counts["sessions"] > 300 and counts["participants"] > 200


async def test_migrate_reports_the_revision(empty_database_url: str) -> None:
    result = imm_graph("migrate", database_url=empty_database_url)
    assert result.returncode == 0, result.stderr
    assert f"Database at revision {', '.join(sorted(head_revisions()))}" in result.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_export_schema_writes_sdl(database_url: str, tmp_path: os.PathLike[str]) -> None:
    out = os.path.join(tmp_path, "schema.graphql")
    result = imm_graph("export-schema", "-o", out, database_url=database_url)
    assert result.returncode == 0, result.stderr
    with open(out) as handle:
        assert "type Query" in handle.read()

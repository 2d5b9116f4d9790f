"""An installed wheel, not only this checkout, can migrate: core and built-in plug-ins.

The project is built into a wheel and installed into an empty directory; a child Python whose
path holds that directory (and the dependencies, but not this checkout) migrates a new SQLite
database and lists its Alembic heads and tables. Slow (a build): one test.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import asyncio, json, sys
import sqlalchemy as sa
import imm_graph, migrations
from imm_graph.db import create_engine
from imm_graph.migrate import current_revisions, head_revisions, upgrade
from imm_graph.pluginhost.manager import installed_plugins

async def main(url):
    engine = create_engine(url)
    await upgrade(engine)
    current = await current_revisions(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    await engine.dispose()
    print(json.dumps({
        "package": imm_graph.__file__, "migrations": migrations.__file__,
        "plugins": sorted(name for name, _ in installed_plugins()),
        "heads": sorted(head_revisions()), "current": sorted(current), "tables": tables,
    }))

asyncio.run(main(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(work / "dist"), str(ROOT)],
        check=True, timeout=600, cwd=work,
    )
    wheel = next((work / "dist").glob("imm_graph-*.whl"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, timeout=600, cwd=work,
    )
    return target


def test_an_installed_wheel_migrates_the_core_and_its_plugins(
    installed: Path, tmp_path: Path
) -> None:
    # The dependencies come from this environment's site-packages; the project only from the
    # wheel: the checkout is neither on the path nor the working directory. The editable
    # install's finder is left out by not processing .pth files (-S) and listing paths by hand.
    path = [str(installed), *site.getsitepackages()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "IMM_LOG_LEVEL": "WARNING"}
    database = tmp_path / "fresh.db"
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, f"sqlite+aiosqlite:///{database}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["package"].startswith(str(installed))
    assert report["migrations"].startswith(str(installed))
    assert report["current"] == report["heads"]
    assert {"social_prescribing", "nhs_reporting", "podcast"} <= set(report["plugins"])
    assert {"organisations", "hubs", "participants", "outbox_deliveries", "alembic_version"} <= set(
        report["tables"]
    )
    # Each built-in plug-in's own tables came from its own migrations, shipped in the wheel.
    for plugin in ("social_prescribing", "nhs_reporting", "podcast"):
        owned = [t for t in report["tables"] if t.startswith(plugin.split("_")[0])]
        assert owned or not _has_tables(plugin), plugin


def _has_tables(plugin: str) -> bool:
    return any((ROOT / "plugins" / plugin).glob("**/migrations/*.py"))

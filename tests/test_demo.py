"""The demo seeder's progress: each bar's total is what that step really loads."""

from __future__ import annotations

from collections import Counter

import pytest

from imm_graph.db import Database
from imm_graph.demo import demo_size, demo_sizes, seed_demo


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_progress_totals_are_the_records_the_seeder_loads(db: Database) -> None:
    advanced: Counter[str] = Counter()

    def progress(step: str, n: int) -> None:
        advanced[step] += n

    loaded = await seed_demo(db, progress)  # rows per table, on a database that was empty

    assert demo_size() == sum(loaded.values())
    assert dict(advanced) == loaded


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_each_table_has_its_own_total(db: Database) -> None:
    loaded = await seed_demo(db)

    assert demo_sizes() == loaded
    assert loaded["participants"] < loaded["assessments"]  # so one total could not serve both

"""The server's garbage-collector settings: applied once a process has started, never twice."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from imm_graph import gc_tuning


@pytest.fixture
def fresh_collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As a new process finds it; the test process's own settings restored afterwards."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    monkeypatch.setattr(gc_tuning, "_applied", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("fresh_collector")
def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    start_up = [object() for _ in range(10)]  # something start-up built and keeps
    assert gc.get_freeze_count() == 0
    assert gc_tuning.tune_for_serving() is True
    assert gc.get_freeze_count() >= len(start_up)
    assert gc.get_threshold() == (gc_tuning.YOUNG_THRESHOLD, 10, 10)


@pytest.mark.usefixtures("fresh_collector")
def test_a_second_app_in_the_same_process_changes_nothing() -> None:
    assert gc_tuning.tune_for_serving() is True
    frozen = gc.get_freeze_count()
    gc.set_threshold(1234, 10, 10)  # somebody's own choice after start-up
    assert gc_tuning.tune_for_serving() is False
    assert (gc.get_freeze_count(), gc.get_threshold()[0]) == (frozen, 1234)

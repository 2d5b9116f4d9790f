"""GroupCommit: concurrent callers share one write, and no caller is lost when it cannot.

These run on the event loop alone (no database): ``write`` and ``fallback`` are small fakes
that record what they were given, as a plug-in's real ones would write it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from imm_graph.pluginhost.batching import FALLBACK, GroupCommit


class Recorder:
    def __init__(self, outcome: object = "ok") -> None:
        self.batches: list[list[int]] = []
        self.alone: list[int] = []
        self.outcome = outcome

    async def write(self, items: Sequence[int]) -> list[object]:
        self.batches.append(list(items))
        await asyncio.sleep(0)  # a real write awaits its database
        if self.outcome == "raise":
            raise RuntimeError("the batch's transaction failed")
        return [FALLBACK if item % 3 == 0 and self.outcome == "some" else f"batch:{item}"
                for item in items]

    async def fallback(self, item: int) -> str:
        self.alone.append(item)
        if item == 99:
            raise ValueError("refused alone too")
        return f"alone:{item}"


async def test_callers_that_arrive_together_share_one_write_in_arrival_order() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.write, recorder.fallback)
    results = await asyncio.gather(*(commit.submit(n) for n in range(1, 21)))
    assert results == [f"batch:{n}" for n in range(1, 21)]
    assert recorder.batches == [list(range(1, 21))]
    assert (commit.batches, commit.fallbacks) == (1, 0)


async def test_a_burst_larger_than_max_batch_is_split() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.write, recorder.fallback, max_batch=8)
    await asyncio.gather(*(commit.submit(n) for n in range(1, 21)))
    assert [len(b) for b in recorder.batches] == [8, 8, 4]
    assert [n for b in recorder.batches for n in b] == list(range(1, 21))


async def test_a_lone_caller_waits_for_no_one() -> None:
    recorder = Recorder()
    commit = GroupCommit(recorder.write, recorder.fallback)
    assert await asyncio.wait_for(commit.submit(1), timeout=5) == "batch:1"
    assert await asyncio.wait_for(commit.submit(2), timeout=5) == "batch:2"  # a new writer
    assert recorder.batches == [[1], [2]]


async def test_items_the_batch_leaves_are_answered_alone() -> None:
    recorder = Recorder(outcome="some")
    commit = GroupCommit(recorder.write, recorder.fallback)
    results = await asyncio.gather(*(commit.submit(n) for n in range(1, 8)))
    assert results == ["batch:1", "batch:2", "alone:3", "batch:4", "batch:5", "alone:6",
                       "batch:7"]
    assert recorder.alone == [3, 6]


async def test_a_failed_batch_sends_every_item_the_careful_way() -> None:
    recorder = Recorder(outcome="raise")
    commit = GroupCommit(recorder.write, recorder.fallback)
    results = await asyncio.gather(*(commit.submit(n) for n in (1, 2, 3)))
    assert results == ["alone:1", "alone:2", "alone:3"]
    assert (commit.batches, commit.fallbacks) == (0, 3)


async def test_an_error_of_the_careful_way_reaches_its_own_caller_only() -> None:
    recorder = Recorder(outcome="raise")
    commit = GroupCommit(recorder.write, recorder.fallback)
    results = await asyncio.gather(commit.submit(1), commit.submit(99), commit.submit(2),
                                   return_exceptions=True)
    assert results[0] == "alone:1" and results[2] == "alone:2"
    assert isinstance(results[1], ValueError)


async def test_a_write_that_answers_for_the_wrong_number_of_items_is_not_trusted() -> None:
    async def short(items: Sequence[int]) -> list[str]:
        return ["only one"]

    async def alone(item: int) -> str:
        return f"alone:{item}"

    commit = GroupCommit(short, alone)
    assert await asyncio.gather(commit.submit(1), commit.submit(2)) == ["alone:1", "alone:2"]


def test_max_batch_must_be_positive() -> None:
    async def write(items: Sequence[int]) -> list[int]:
        return list(items)

    with pytest.raises(ValueError, match="max_batch"):
        GroupCommit(write, write, max_batch=0)  # type: ignore[arg-type]


async def test_items_going_the_careful_way_do_not_hold_up_the_writer() -> None:
    """A replayed burst (every item a FALLBACK) must not be answered one at a time by the
    writer: here the first fallback can only finish once a later batch has been written."""
    written = asyncio.Event()

    async def write(items: Sequence[int]) -> list[object]:
        if items == [3]:
            written.set()
            return ["batch:3"]
        return [FALLBACK] * len(items)

    async def fallback(item: int) -> str:
        await written.wait()  # were fallbacks run by the writer, batch [3] would never come
        return f"alone:{item}"

    commit = GroupCommit(write, fallback)
    first = asyncio.gather(commit.submit(1), commit.submit(2))
    await asyncio.sleep(0)  # let batch [1, 2] be taken before 3 arrives
    await asyncio.sleep(0)
    results = await asyncio.wait_for(asyncio.gather(first, commit.submit(3)), timeout=5)
    assert results == [["alone:1", "alone:2"], "batch:3"]

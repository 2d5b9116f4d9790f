"""The referral benchmark sends what it says: valid referrals, each about a new person.

Its history once ran past the NHS test range, so every "earlier referral" was refused and the
rows measured a cold server; nothing failed. These tests parse the bodies each row would send,
at the edges of every block, as the server would."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from benchmarks.referral_intake import WARM, blocks, requests_for
from plugins.social_prescribing import intake
from plugins.social_prescribing.demo import TEST_SERIALS

BUDGET = 40_000  # the benchmark's default
FORMATS = ["native", "fhir"]
LOADS = [64, 128, 256]  # the documented sweep


def nhs_number_sent(fmt: str, n: int) -> str:
    ((body, headers),) = requests_for(fmt, 1, "test", n)
    parsed = intake.parse(body, headers["content-type"], dt.date.today(), "IMM")
    assert parsed.action == "new"
    return str(parsed.nhs_number)


def test_every_block_of_the_documented_sweep_is_valid_and_its_own_people() -> None:
    ranges = []
    for block in blocks(FORMATS, LOADS, BUDGET):
        for first, count in ((block.history_first, BUDGET), (block.run_first, BUDGET),
                             (block.warm_first, WARM)):
            edges = {nhs_number_sent(block.fmt, n) for n in (first, first + count - 1)}
            assert len(edges) == 2
            ranges.append((first, first + count))
    ranges = sorted(set(ranges))  # a format's warm-up block is shared by its rows
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(ranges))


def test_a_sweep_the_test_range_cannot_hold_is_refused_before_it_starts() -> None:
    assert 2 * 2 * len(FORMATS) * 4 * 70_000 > TEST_SERIALS
    with pytest.raises(ValueError, match="NHS test range"):
        blocks(FORMATS, [64, 128, 256, 512], 70_000)

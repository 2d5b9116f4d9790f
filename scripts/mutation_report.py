"""Kill-rate table for scripts/mutation, from `mutmut results --all true` on standard input.

Why a table of our own: mutmut reports one total over every module it mutated, while a run asks
for some sets only; the others' mutants are generated but not run and must not count as lost.

Usage: mutmut results --all true | python scripts/mutation_report.py SET... [--floor N]
       [--sample SUFFIX]
Exits 1 when a set's kill rate is below ``--floor`` or when a mutant of the chosen sets was never
run; a listed equivalent mutant that was killed is reported (the list may be stale) but does
not fail the run, since mutmut now and then reports one killed that passes when run alone.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Which mutants belong to which set: mutmut names them <module>.x_<function>__mutmut_<n>.
SETS: dict[str, tuple[str, ...]] = {
    "scoring": ("imm_graph.scoring.*",),
    "validators": ("imm_graph.validators.*",),
    "intake": ("plugins.social_prescribing.intake.*",),
    "signing": ("imm_graph.pluginhost.signing.*",),
    "permissions": ("imm_graph.schema.permissions.*",),
    "pagination": ("imm_graph.schema.pagination.*",),
    "filters": ("imm_graph.schema.filters.*",),
    "impact": ("imm_graph.services.impact.*",),
    "compiler": ("imm_graph.schema.compiler.*", "imm_graph.schema.mapping.*"),
}
EQUIVALENTS = Path(__file__).with_name("mutation-equivalents.txt")
DETECTED = {"killed", "timeout", "caught by type check"}


@dataclass
class Tally:
    statuses: dict[str, int] = field(default_factory=dict)
    equivalent: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def counted(self) -> int:
        return sum(self.statuses.values())

    @property
    def detected(self) -> int:
        return sum(n for s, n in self.statuses.items() if s in DETECTED)

    @property
    def rate(self) -> float:
        return 100.0 * self.detected / self.counted if self.counted else 100.0


def read_equivalents(path: Path) -> dict[str, str]:
    """``name  # why`` per line: mutants that no test can kill, and why."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, _, why = line.partition("#")
        if name.strip():
            found[name.strip()] = why.strip()
    return found


def tally(
    lines: list[str], chosen: list[str], equivalents: dict[str, str], sample: str = ""
) -> dict[str, Tally]:
    tallies = {name: Tally() for name in chosen}
    for line in lines:
        mutant, _, status = line.strip().rpartition(": ")
        for name in chosen:
            if not any(fnmatch.fnmatchcase(mutant, p + sample) for p in SETS[name]):
                continue
            t = tallies[name]
            if status in ("not checked", "skipped"):
                t.problems.append(f"{mutant} was not run ({status})")
            elif mutant in equivalents:
                t.equivalent += 1
                if status in DETECTED:
                    # A warning, not a failure: mutmut now and then reports an equivalent
                    # mutant killed that passes every test when run alone (TESTING.md).
                    # Review the list if one is killed on every run.
                    t.problems.append(f"{mutant} is listed as equivalent but was {status} "
                                      "(check it alone; review the list if this repeats)")
            else:
                t.add(status)
                if status not in DETECTED:
                    t.problems.append(f"{mutant}: {status}")
    return tallies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", choices=sorted(SETS))
    parser.add_argument("--floor", type=float, default=None, help="lowest kill rate allowed, %%")
    parser.add_argument("--sample", default="", help="only mutants whose name ends so (fnmatch)")
    args = parser.parse_args()
    tallies = tally(sys.stdin.read().splitlines(), args.sets, read_equivalents(EQUIVALENTS),
                    args.sample)
    if args.sample:
        print(f"a sample: only the mutants whose number ends in {args.sample}")

    print(f"{'module':<12} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} "
          f"{'other':>5} {'equivalent':>10} {'kill rate':>9}")
    failed = False
    for name, t in tallies.items():
        killed = t.detected
        survived = t.statuses.get("survived", 0)
        no_tests = t.statuses.get("no tests", 0)
        other = t.counted - killed - survived - no_tests
        print(f"{name:<12} {t.counted + t.equivalent:>7} {killed:>6} {survived:>8} {no_tests:>8} "
              f"{other:>5} {t.equivalent:>10} {t.rate:>8.1f}%")
        for problem in t.problems:
            print(f"  ! {problem}")
        failed |= any("not run" in p for p in t.problems)
        failed |= t.counted + t.equivalent == 0
        if args.floor is not None and t.rate < args.floor:
            print(f"  ! {name}: kill rate {t.rate:.1f}% is below the recorded {args.floor:.1f}%")
            failed = True
    print(f"kill rate: killed or timed out / mutants, less those listed in {EQUIVALENTS.name}")
    print("see a mutant with: .venv/bin/mutmut show NAME")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

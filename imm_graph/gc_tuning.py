"""The garbage collector, set for a long-running server once its start-up is done.

A server builds its long-lived objects (schema, SQL plans, plug-ins, the ORM's mappers) at
start-up and then makes short-lived ones per request, almost none of them in reference
cycles. With CPython's defaults a collection runs every 700 net allocations and an occasional
full one walks every long-lived object again: under a burst of referrals that was ~7% of a
worker's CPU (perf). Freezing what start-up built takes it out of every later collection, and
a higher first threshold makes collections rarer; cycles are still collected, just in larger
steps. Applied once per process (tests build many apps in one).
"""

from __future__ import annotations

import gc

# Net allocations between young-generation collections (CPython's default: 700).
YOUNG_THRESHOLD = 50_000
_applied = False


def tune_for_serving() -> bool:
    """Freeze the start-up heap and raise the young threshold; False if already done."""
    global _applied
    if _applied:
        return False
    _applied = True
    gc.collect()  # leave no garbage to freeze
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return True

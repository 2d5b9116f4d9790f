"""Hypothesis profiles for the property tests.

``HYPOTHESIS_PROFILE`` picks one: ``dev`` (the default) explores freshly on every run; ``mutation``
(used by scripts/mutation) is derandomized and shorter, so a mutant is killed or not on every run
alike and a run stays within minutes.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: a slow CI machine must not turn a correct answer into a failure.
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "mutation", max_examples=60, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

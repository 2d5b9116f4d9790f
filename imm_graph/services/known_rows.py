"""Which referenced rows are known to exist, so that a write looks each reference up once.

Every write checks that the ids and codes it names exist, to answer with an error naming the
field instead of a foreign-key violation. Most of those look-ups answer what is already known:

- within one transaction, a row it created, or already found, is still there (a referral
  burst creates people and then their consents, which name them), until a rollback of the
  transaction or of a savepoint, after which nothing is taken as known;
- the reference vocabularies (clinical cohorts, stakeholder kinds) change a few times a year,
  so a code found in the last `VOCABULARY_SECONDS` is taken as found, per database.

Only values not known are looked up. A row deleted meanwhile is still refused by its foreign
key, with the integrity error's message instead of the field's: the one case this trades.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from imm_graph import models as m
from imm_graph.sql_lists import one_of

VOCABULARIES: frozenset[type[Any]] = frozenset({m.ClinicalCohort, m.StakeholderKind})
VOCABULARY_SECONDS = 60.0

_INFO_KEY = "known_rows"
# Per database (engine) and vocabulary: (expiry on the monotonic clock, codes found).
_vocabularies: weakref.WeakKeyDictionary[Any, dict[type[Any], tuple[float, frozenset[Any]]]] = (
    weakref.WeakKeyDictionary())


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _rolled_back: Any) -> None:
    """A rollback (of the transaction or of a savepoint) may take rows this session
    remembered with it: forget them all, and look up again, rather than trust a row that is
    gone. Rollbacks are rare, so the extra look-ups are."""
    session.info.pop(_INFO_KEY, None)


def remember(session: AsyncSession, model: type[Any], keys: Iterable[Any]) -> None:
    """Rows of ``model`` this transaction created or found: later checks take them as there."""
    session.info.setdefault(_INFO_KEY, {}).setdefault(model, set()).update(keys)


def _known(session: AsyncSession, model: type[Any], values: set[Any]) -> set[Any]:
    """Which of ``values`` need no look-up (checked value by value: a transaction that
    remembers thousands of rows copies none of them)."""
    remembered = session.info.get(_INFO_KEY, {}).get(model, frozenset())
    held = _vocabularies.get(session.bind, {}).get(model) if model in VOCABULARIES else None
    recent = held[1] if held is not None and held[0] > time.monotonic() else frozenset()
    identities = session.identity_map  # objects the session has loaded or added
    return {v for v in values if v in remembered or v in recent
            or identities.get(identity_key(model, v)) is not None}


async def missing(session: AsyncSession, model: type[Any], values: Iterable[Any]) -> list[Any]:
    """The ``values`` no row of ``model`` has as its key, in a stable order: at most one
    statement, none when every value is known."""
    wanted = set(values)
    wanted -= _known(session, model, wanted)
    if not wanted:
        return []
    key = sa.inspect(model).primary_key[0]
    found = set(await session.scalars(sa.select(key).where(one_of(session, key, wanted))))
    remember(session, model, found)
    if model in VOCABULARIES and found:
        per_database = _vocabularies.setdefault(session.bind, {})
        held = per_database.get(model)
        now = time.monotonic()
        if held is None or held[0] <= now:
            held = (now + VOCABULARY_SECONDS, frozenset())
        per_database[model] = (held[0], held[1] | found)
    return sorted(wanted - found, key=str)

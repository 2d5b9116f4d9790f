"""New referrals in bulk: the webhook's fast path under load.

Platforms send in bursts, and each referral about a new person writes a dozen rows (the
person, their cohorts and sharing consent, the referral, its history, three events, two audit
rows, the status update and the webhook receipt). One transaction per request makes that a
round trip per row; here concurrent requests share one transaction (`GroupCommit`) and each
table gets one multi-row INSERT, so a burst costs sixteen statements whatever its size.
Every request is still answered only after its referral is committed.

The bulk path takes only the common case: a new referral (first time this platform sends its
id, first time this webhook-id is seen) about a person not yet known. Anything else in a batch
(an update, a replayed or conflicting webhook-id, a repeat person, an unknown cohort, two
copies in one burst) is answered by the per-request path (`routes.one`), and so is every item
of a batch whose write fails (a race with another worker, a refused row): that path is the
reference, and a test holds the two to the same rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import (
    FALLBACK,
    Answer,
    Database,
    GroupCommit,
    NewEvent,
    emit_many,
    enqueue_deliveries,
    insert_rows,
    keep_answers,
    services,
    stored_answers,
)
from plugins.social_prescribing import models as sp
from plugins.social_prescribing import service
from plugins.social_prescribing.intake import ReferralData

NAME = service.NAME


@dataclass(frozen=True)
class Incoming:
    """A signed, validated referral waiting for its write."""

    platform: sp.SocialPrescribingPlatform  # the snapshot its signature was checked against
    key: str  # the webhook receipt's key: platform id and webhook-id
    body: bytes
    data: ReferralData
    fhir: bool  # the answer follows the request's format
    now: dt.datetime

    @property
    def bulk_ready(self) -> bool:
        return self.data.action == "new" and not self.data.cancelled


async def write(db: Database, items: Sequence[Incoming]) -> list[Answer | Any]:
    """One transaction for the batch: per item its answer, or `FALLBACK`."""
    async with db.transaction() as session:
        return await receive_new(session, items)


async def receive_new(session: AsyncSession, items: Sequence[Incoming]) -> list[Answer | Any]:
    """What `service.receive` does for a new referral, a table at a time: the people, their
    sharing consents, the referrals, their history, events and status updates, the receipts.
    Items it does not take stay `FALLBACK`."""
    outcomes: list[Answer | Any] = [FALLBACK] * len(items)
    fresh = [i for i in await _without_repeats(session, items) if items[i].bulk_ready]
    # One cohort check for the batch; an item naming an unknown cohort is refused the
    # per-request way, with its own error.
    unknown = set(await services.unknown_cohorts(
        session, {c for i in fresh for c in items[i].data.cohorts}))
    fresh = [i for i in fresh if unknown.isdisjoint(items[i].data.cohorts)]
    if not fresh:
        return outcomes
    batch = [items[i] for i in fresh]
    # No savepoints: any error fails the whole batch, which then goes request by request.
    people = await services.create_participants(
        session, [service.person_fields(item.data, item.now.date()) for item in batch],
        savepoint=False)
    await services.record_consents(
        session, [service.sharing_consent(person, item.now)
                  for person, item in zip(people, batch, strict=True)], savepoint=False)
    rows = [service.new_referral_values(item.platform, item.data, item.now, person)
            for person, item in zip(people, batch, strict=True)]
    ids = await insert_rows(session, sp.SocialPrescribingReferral.__table__, rows,
                            returning_ids=True)
    referrals = [service.NewReferral(
        id=int(id_), external_id=row["external_id"], consent_active=row["consent_active"],
        participant_id=row["participant_id"], received_at=row["received_at"],
    ) for id_, row in zip(ids, rows, strict=True)]
    await insert_rows(session, sp.SocialPrescribingReferralChange.__table__, [{
        "referral_id": r.id, "from_status": None, "to_status": sp.RECEIVED, "at": item.now,
        "actor": f"{NAME}:{item.platform.name}", "reason": None, "note": None,
    } for r, item in zip(referrals, batch, strict=True)])
    await emit_many(session, [NewEvent(**service.received_event(r, item.platform))
                              for r, item in zip(referrals, batch, strict=True)])
    answers, deliveries = [], []
    for i, referral, item in zip(fresh, referrals, batch, strict=True):
        asked = "fhir" if item.fhir else "native"
        document = await service.status_document(session, referral, item.platform, item.now,
                                                 asked)
        outcomes[i] = Answer(201, *document)
        answers.append((item.key, item.body, outcomes[i]))
        if service.sends_updates(referral, item.platform):
            # The update says what the answer says, in the platform's format: the same bytes
            # when the request came in that format.
            same = asked == (item.platform.format or "native")
            deliveries.append(await service.status_delivery(
                session, referral, item.platform, item.now, document if same else None))
    await enqueue_deliveries(session, deliveries)
    await keep_answers(session, NAME, answers)
    return outcomes


async def _without_repeats(session: AsyncSession, items: Sequence[Incoming]) -> list[int]:
    """The items that are first of their kind: webhook-id, referral id and person seen neither
    before (in the database) nor earlier in the batch."""
    seen: set[Any] = set()
    first = []
    for i, item in enumerate(items):
        marks = {("key", item.key), ("referral", item.platform.id, item.data.external_id),
                 ("person", item.data.nhs_number)}
        if not marks & seen:
            first.append(i)
        seen |= marks
    if not first:
        return []
    answered = await stored_answers(session, NAME, {items[i].key: items[i].body for i in first})
    known = await service.existing_external_ids(
        session, [(items[i].platform.id, items[i].data.external_id) for i in first])
    people = await services.find_participants_by_nhs_numbers(
        session, [n for n in (items[i].data.nhs_number for i in first) if n])
    return [i for i in first
            if items[i].key not in answered
            and (items[i].platform.id, items[i].data.external_id) not in known
            and items[i].data.nhs_number not in people]


# One coalescer per database and event loop (a test's app gets a fresh loop).
_intakes: weakref.WeakKeyDictionary[
    Database, tuple[asyncio.AbstractEventLoop, GroupCommit[Incoming, Answer]]
] = weakref.WeakKeyDictionary()


def intake_for(
    db: Database, fallback: Callable[[Incoming], Awaitable[Answer]], max_batch: int
) -> GroupCommit[Incoming, Answer]:
    loop = asyncio.get_running_loop()
    held = _intakes.get(db)
    if held is None or held[0] is not loop or held[1].max_batch != max_batch:

        async def write_batch(items: Sequence[Incoming]) -> Sequence[Answer]:
            return await write(db, items)

        held = (loop, GroupCommit(write_batch, fallback, max_batch=max_batch))
        _intakes[db] = held
    return held[1]

"""Raw referral figures for nhs_reporting (topic ``nhs_reporting.referrals``).

The contract (agreed with nhs_reporting; neither plug-in imports the other): referrals RECEIVED
in the period (inclusive dates), restricted to ``hub_ids`` when given (the hub a referral was
accepted to; unrouted referrals count only when ``hub_ids`` is None). Figures are raw:
nhs_reporting applies disclosure control.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import services
from plugins.social_prescribing.models import SocialPrescribingPlatform as Platform
from plugins.social_prescribing.models import SocialPrescribingReferral as Referral


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


async def referral_figures(session: AsyncSession, params: Mapping[str, Any]) -> dict[str, Any]:
    start: dt.date = params["start"]
    end: dt.date = params["end"]
    hub_ids = params.get("hub_ids")
    query = (
        sa.select(Referral, Platform.name)
        .join(Platform, Platform.id == Referral.platform_id)
        .where(Referral.received_at >= _midnight(start),
               Referral.received_at < _midnight(end + dt.timedelta(days=1)))
        .order_by(Referral.id)
    )
    if hub_ids is not None:
        query = query.where(Referral.hub_id.in_(list(hub_ids)))
    received: Counter[tuple[str, str]] = Counter()
    declined: Counter[str] = Counter()
    accepted = 0
    to_decision: list[int] = []
    to_attendance: list[int] = []
    for referral, platform_name in (await session.execute(query)).all():
        received[(platform_name, referral.snomed_code)] += 1
        day = referral.received_at.date()
        if referral.decided_at is None:
            continue
        to_decision.append((referral.decided_at.date() - day).days)
        if referral.decline_reason is not None:
            declined[referral.decline_reason] += 1
            continue
        accepted += 1
        first = referral.first_attended_on
        if first is None and referral.participant_id is not None:
            first = await services.first_attended(session, referral.participant_id, since=day)
        if first is not None:
            to_attendance.append((first - day).days)
    return {
        "received": [{"source": source, "snomed_code": code, "count": count}
                     for (source, code), count in sorted(received.items())],
        "accepted": accepted,
        "declined": [{"reason": reason, "count": count}
                     for reason, count in sorted(declined.items())],
        "days_to_decision": to_decision,
        "days_to_first_attendance": to_attendance,
    }

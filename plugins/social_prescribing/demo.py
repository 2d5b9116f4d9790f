"""Demo rows for ``imm-graph seed --demo``: a registered demo platform and a handful of referrals
to real IMM hubs (Hounslow, Woking, Guildford), in different states. Seeding twice adds nothing.

The people are invented; their NHS numbers are in the 999 range NHS England keeps for testing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import models, utcnow
from plugins.social_prescribing import models as sp
from plugins.social_prescribing import platforms, service
from plugins.social_prescribing.intake import ReferralData

PLATFORM = "demo-link-worker-platform"
# The demo platform's secret is fixed so the README's examples work against a demo server.
DEMO_SECRET = "whsec_ZGVtby1wbGF0Zm9ybS1zZWNyZXQtZm9yLWlt"


TEST_SERIALS = 1_000_000  # the 999 range: 999 000 000x to 999 999 999x


def test_nhs_number(serial: int) -> str:
    """A valid (Modulus 11) NHS number in the 999 test range.

    A serial whose check digit would be 10 takes the next serial's number, so only even serials
    (or only odd ones) give distinct people. Past the range's million serials there is no
    test number: that is an error, not an eleven-digit string that every check refuses."""
    while True:
        if not 0 <= serial < TEST_SERIALS:
            raise ValueError(f"serial {serial}: the 999 test range has {TEST_SERIALS} numbers")
        first_nine = f"999{serial:06d}"
        total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
        check = (11 - total % 11) % 11
        if check != 10:
            return first_nine + str(check)
        serial += 1


# (ref, given, family, born, postcode, cohorts, days ago, what staff did, hub code)
PEOPLE: tuple[tuple[str, str, str, dt.date, str, list[str], int, str, str | None], ...] = (
    ("DEMO-0001", "Margaret", "Ellis", dt.date(1941, 3, 9), "TW3 1HN",
     ["older_people", "dementia"], 30, "first_attended", "HSL-HTC"),
    ("DEMO-0002", "Arthur", "Nwosu", dt.date(1946, 11, 2), "GU21 6BS",
     ["older_people"], 12, "accepted", "WOK-HUB"),
    ("DEMO-0003", "Priya", "Shah", dt.date(1958, 6, 17), "GU1 3AJ",
     ["mental_health"], 9, "declined", None),
    ("DEMO-0004", "Doreen", "Walsh", dt.date(1939, 1, 25), "TW4 5DP",
     ["older_people", "caregivers"], 20, "received", None),
    ("DEMO-0005", "Samuel", "Okoro", dt.date(1952, 8, 30), "GU22 7QQ",
     ["older_people"], 2, "received", None),
)


async def _counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table (the same answer however many times seeding runs)."""
    return {
        table.__tablename__: int(await session.scalar(
            sa.select(sa.func.count()).select_from(table)) or 0)
        for table in (sp.SocialPrescribingPlatform, sp.SocialPrescribingReferral)
    }


async def seed(session: AsyncSession) -> dict[str, Any]:
    if await session.scalar(sa.select(sp.SocialPrescribingPlatform.id)
                            .where(sp.SocialPrescribingPlatform.name == PLATFORM)) is not None:
        return await _counts(session)
    platform, _ = await platforms.add(session, PLATFORM, secret=DEMO_SECRET)
    hubs = {code: hub_id for hub_id, code in await session.execute(
        sa.select(models.Hub.id, models.Hub.code))}
    now = utcnow()
    for serial, (ref, given, family, born, postcode, cohorts, days, state, hub) in enumerate(
            PEOPLE, start=1):
        received = now - dt.timedelta(days=days)
        data = ReferralData(
            external_id=ref, action="new", format="native", authored_on=received.date(),
            nhs_number=test_nhs_number(serial * 7919), given_name=given, family_name=family,
            date_of_birth=born, gender="female" if serial % 2 else "male", postcode=postcode,
            cohorts=cohorts, referrer_ods_code="E85025", referrer_name="Demo link worker",
            reason="Lonely since moving; would enjoy music with others.",
        )
        referral, _ = await service.receive(session, platform, data, received)
        decided = received + dt.timedelta(days=3)
        if state in ("accepted", "first_attended") and hub in hubs:
            await service.accept(session, referral.id, hubs[hub], decided)
        if state == "first_attended":
            referral.first_attended_on = (decided + dt.timedelta(days=4)).date()
            await service.transition(session, referral, sp.FIRST_ATTENDED,
                                     now=decided + dt.timedelta(days=4))
        if state == "declined":
            await service.decline(session, referral.id, "no_hub_nearby", decided,
                                  note="Guildford hub full this term")
    await service.flag_overdue(session, now, 14)
    return await _counts(session)

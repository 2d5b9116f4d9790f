"""Demo rows: the two ICBs IMM's hubs sit in, and a return for each (one signed off)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import models
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.models import NhsReturn
from plugins.nhs_reporting.periods import parse_period

DEMO_PERIOD = "FY2023/24 Q4"  # the last quarter of the 2023/24 annual report's year
COMMISSIONERS = (
    # Hounslow's Harmony Generations hubs: "NHS Northwest London - Hounslow Borough Team"
    # (Annual Report 2023/24) is part of NHS North West London ICB, ODS code QRV.
    ("QRV", "icb", "NHS North West London Integrated Care Board",
     ["HSL-LVA", "HSL-HTC", "HSL-NGC", "HSL-ORC"]),
    # The Woking and Guildford hubs sit in NHS Surrey Heartlands ICB (QXU).
    ("QXU", "icb", "NHS Surrey Heartlands Integrated Care Board", ["WOK-HUB", "GFD-HUB"]),
)
SIGNED_AT = dt.datetime(2024, 4, 15, 10, 0, tzinfo=dt.UTC)


async def seed(session: AsyncSession, within_days: int) -> dict[str, int]:
    """Idempotent: a commissioner or return already there is left as it is."""
    period = parse_period(DEMO_PERIOD)
    known = set((await session.scalars(sa.select(models.Hub.code))).all())
    for ods, kind, name, hubs in COMMISSIONERS:
        if not set(hubs) <= known:
            continue
        owner = await returns.define_commissioner(session, ods_code=ods, kind=kind, name=name,
                                                  hub_codes=hubs)
        if not await returns.versions(session, owner.id, period):
            ret = await returns.generate(session, owner, period, by="demo",
                                         within_days=within_days,
                                         now=SIGNED_AT - dt.timedelta(days=1))
            if ods == "QRV":  # one signed off, one left as a draft to try the lifecycle on
                await returns.sign_off(session, ret, by="demo", now=SIGNED_AT)
    count = await session.scalar(sa.select(sa.func.count()).select_from(NhsReturn))
    return {"nhs_reporting_returns": int(count or 0)}

"""The periodic job: once a quarter has closed, draft every commissioner's return for it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from imm_graph.plugin_api import Actor, JobContext
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.models import NhsCommissioner, NhsReturn
from plugins.nhs_reporting.periods import Period, quarter_containing
from plugins.nhs_reporting.settings import NhsReportingSettings

NAME = "nhs_reporting"


def last_closed_quarter(today: dt.date) -> Period:
    return quarter_containing(quarter_containing(today).start - dt.timedelta(days=1))


async def draft_closed_quarter(context: JobContext) -> None:
    """Drafts the returns of the quarter that ended most recently, for commissioners that have
    none yet (a return already there, draft or signed off, is left alone)."""
    config = context.config if isinstance(context.config, NhsReportingSettings) \
        else NhsReportingSettings()
    if not config.draft_when_period_closes:
        return
    period = last_closed_quarter(context.now.date())
    async with context.db.transaction(actor=Actor.system(NAME)) as session:
        commissioners = (await session.scalars(
            sa.select(NhsCommissioner).order_by(NhsCommissioner.id))).all()
        for commissioner in commissioners:
            exists = await session.scalar(sa.select(sa.func.count()).select_from(NhsReturn).where(
                NhsReturn.commissioner_id == commissioner.id,
                NhsReturn.period_start == period.start, NhsReturn.period_end == period.end))
            if not exists:
                await returns.generate(session, commissioner, period, by=f"system:{NAME}",
                                       within_days=config.within_days, now=context.now)

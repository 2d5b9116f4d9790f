"""A small, hand-countable slice of IMM's work for FY2024/25 Q3 (1 Oct to 31 Dec 2024).

The NW London ICB (QRV) commissions two Hounslow hubs, LVA and HTC; a Woking hub's work must not
count. Every number a test expects can be worked out from the comments here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from imm_graph.plugin_api import Database, models, services
from plugins.nhs_reporting import returns
from plugins.nhs_reporting.models import NhsCommissioner
from tests import builders

D = dt.date
WHO5_PRE = [2, 2, 2, 2, 2]  # raw 10 -> score 40
WHO5_GOOD = [3, 3, 3, 3, 3]  # 60: +20, past the meaningful change of 10
WHO5_SMALL = [2, 2, 2, 2, 3]  # 44: +4, improved but not meaningfully


@dataclass
class Scenario:
    lva: int
    htc: int
    woking: int
    commissioner: NhsCommissioner
    people: list[int]


async def build(db: Database) -> Scenario:
    async with db.transaction() as session:
        org = await builders.organisation(session)
        prog = await builders.programme(session, code="harmony", name="Harmony Generations")
        lva = await builders.hub(session, org.id, code="HSL-LVA", name="LVA Trust hub",
                                 programme_id=prog.id)
        htc = await builders.hub(session, org.id, code="HSL-HTC", name="Holy Trinity hub")
        woking = await builders.hub(session, org.id, code="WOK-HUB", name="Woking hub")
        # Sessions in the quarter: LVA three (older 4+5+4=13, children 6+6+0=12), HTC one
        # (children 9). Outside it: LVA on 30 Sep, Woking in November.
        first = await builders.session_at(session, lva.id, D(2024, 10, 2), older_people=4,
                                          children_young_people=6)
        await builders.session_at(session, lva.id, D(2024, 11, 6), older_people=5,
                                  children_young_people=6)
        await builders.session_at(session, lva.id, D(2024, 12, 31), older_people=4)
        await builders.session_at(session, htc.id, D(2024, 10, 1), children_young_people=9)
        await builders.session_at(session, lva.id, D(2024, 9, 30), older_people=40)
        await builders.session_at(session, woking.id, D(2024, 11, 6), older_people=50)
        # Ten people enrolled at LVA: eight older people aged 75-84 (three with dementia), two
        # children aged 5-10; sex recorded for the eight older people only (5 female, 3 male).
        people = []
        for i in range(10):
            older = i < 8
            person = await builders.participant(
                session, f"P-{i:06d}",
                generation="older_person" if older else "child",
                age_band="75-84" if older else "5-10",
                sex=("2" if i < 5 else "1") if older else None,
                cohort_codes=("dementia",) if i < 3 else (),
            )
            await services.enrol(session, person.id, hub_id=lva.id, enrolled_on=D(2024, 9, 1))
            people.append(person.id)
        # Not counted: one at Woking, one who left LVA before the quarter.
        woking_person = await builders.participant(session, "P-100000")
        await services.enrol(session, woking_person.id, hub_id=woking.id,
                             enrolled_on=D(2024, 10, 1))
        left = await builders.participant(session, "P-100001")
        enrolment = await services.enrol(session, left.id, hub_id=lva.id,
                                         enrolled_on=D(2024, 4, 1))
        enrolment.left_on = D(2024, 9, 30)
        # WHO-5: the eight older people, pre in October and post in December: five improve by
        # 20, three by 4. Mean before 40, after (5*60+3*44)/8 = 54, change 14, 5/8 = 62.5%.
        for i, pid in enumerate(people[:8]):
            await builders.assessment(session, pid, WHO5_PRE, assessed_on=D(2024, 10, 2),
                                      hub_id=lva.id)
            await builders.assessment(session, pid, WHO5_GOOD if i < 5 else WHO5_SMALL,
                                      timepoint="post", assessed_on=D(2024, 12, 31),
                                      hub_id=lva.id)
        # A child's pre score with no post: one missing post score.
        await builders.assessment(session, people[8], WHO5_PRE, assessed_on=D(2024, 10, 2),
                                  hub_id=lva.id)
        # One register, for the first session: three sessions in the quarter have none.
        await services.record_attendance(session, first.id, attended=people[:4])
        commissioner = await returns.define_commissioner(
            session, ods_code="qrv", kind="icb",
            name="NHS North West London Integrated Care Board",
            hub_codes=["HSL-LVA", "HSL-HTC"])
        await session.flush()
        assert await session.scalar(sa.select(sa.func.count()).select_from(models.Hub)) == 3
    return Scenario(lva.id, htc.id, woking.id, commissioner, people)

"""The figures nhs_reporting collects (topic ``nhs_reporting.referrals``, see
/work/prompts/reporting_contract.md): raw, for referrals RECEIVED in the period, by hub."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.applications import Starlette

from imm_graph.db import Database
from imm_graph.plugin_api import collect, services
from plugins.social_prescribing import service
from plugins.social_prescribing.intake import ReferralData
from plugins.social_prescribing.models import SocialPrescribingPlatform
from tests import builders

pytestmark = pytest.mark.usefixtures("app")


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, 23, 30, tzinfo=dt.UTC)  # late: dates must not shift


def person(ref: str, serial: int) -> ReferralData:
    from plugins.social_prescribing.demo import test_nhs_number
    return ReferralData(external_id=ref, action="new", format="native",
                        nhs_number=test_nhs_number(serial), postcode="TW3 1HN")


async def test_figures_follow_the_contract(
    db: Database, platform: SocialPrescribingPlatform, hub: int, app: Starlette
) -> None:
    async with db.transaction() as session:
        other_hub = (await builders.hub(session, (await builders.organisation(
            session, name="Other host")).id, code="other", name="Other Hub")).id
        fhir = await session.get(SocialPrescribingPlatform, platform.id + 1)
        made = {}
        for ref, when, sender in [("before", at(28, 2), platform), ("first", at(1), platform),
                                  ("second", at(2), fhir), ("third", at(5), platform),
                                  ("unrouted", at(9), platform), ("other", at(10), platform),
                                  ("last", at(31), platform), ("after", at(1, 4), platform)]:
            made[ref], _ = await service.receive(session, sender, person(ref, len(made) * 101),
                                                 when)
        await service.accept(session, made["first"].id, hub, at(4))        # 3 days
        await service.accept(session, made["second"].id, hub, at(2))       # 0 days
        await service.decline(session, made["third"].id, "no_capacity", at(10))
        made["third"].hub_id = hub  # triaged for this hub, then declined
        await service.accept(session, made["other"].id, other_hub, at(11))
        await service.accept(session, made["before"].id, hub, at(1))
        await service.decline(session, made["last"].id, "no_capacity", at(3, 4))
        made["last"].hub_id = hub
        held = await builders.session_at(session, hub, dt.date(2025, 3, 8), staff=1)
        await services.record_attendance(session, held.id,
                                         attended=[made["first"].participant_id])
    params = {"start": dt.date(2025, 3, 1), "end": dt.date(2025, 3, 31), "within_days": 14}
    async with db.transaction() as session:
        session.info["plugins"] = app.state.plugins
        everything = dict(await collect("nhs_reporting.referrals",
                                        {**params, "hub_ids": None}, session))
        one_hub = dict(await collect("nhs_reporting.referrals",
                                     {**params, "hub_ids": [hub]}, session))
    assert everything["social_prescribing"] == {
        "received": [
            {"source": "fhir-platform", "snomed_code": "871731000000106", "count": 1},
            {"source": "link-platform", "snomed_code": "871731000000106", "count": 5},
        ],
        "accepted": 3,
        "declined": [{"reason": "no_capacity", "count": 2}],
        "days_to_decision": [3, 0, 5, 1, 3],
        "days_to_first_attendance": [7],
    }
    assert one_hub["social_prescribing"] == {
        "received": [
            {"source": "fhir-platform", "snomed_code": "871731000000106", "count": 1},
            {"source": "link-platform", "snomed_code": "871731000000106", "count": 3},
        ],
        "accepted": 2,
        "declined": [{"reason": "no_capacity", "count": 2}],
        "days_to_decision": [3, 0, 5, 3],
        "days_to_first_attendance": [7],
    }

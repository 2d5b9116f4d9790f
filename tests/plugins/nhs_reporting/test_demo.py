"""The demo rows: two real ICBs over IMM's Hounslow and Surrey hubs, one return signed off.

(`imm-graph seed --demo` calls `demo.seed` through the `imm_graph.demo` topic after loading the
core's demo hubs; here the six hubs are built directly, which keeps the test fast.)
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from imm_graph.plugin_api import Database
from plugins.nhs_reporting import demo, returns
from plugins.nhs_reporting.models import NhsCommissioner, NhsReturn
from tests import builders

HUBS = ("HSL-LVA", "HSL-HTC", "HSL-NGC", "HSL-ORC", "WOK-HUB", "GFD-HUB")


async def test_the_demo_holds_two_icbs_and_seeding_twice_changes_nothing(db: Database) -> None:
    async with db.transaction() as session:
        org = await builders.organisation(session)
        for code in HUBS:
            hub = await builders.hub(session, org.id, code=code, name=f"{code} hub")
            await builders.session_at(session, hub.id, dt.date(2024, 2, 7), older_people=9)
    async with db.transaction() as session:
        first = await demo.seed(session, within_days=14)
    async with db.transaction() as session:
        again = await demo.seed(session, within_days=14)
    async with db.sessions() as session:
        owners = (await session.scalars(
            sa.select(NhsCommissioner).order_by(NhsCommissioner.ods_code))).all()
        rows = (await session.scalars(sa.select(NhsReturn).order_by(NhsReturn.id))).all()
    assert first == again == {"nhs_reporting_returns": 2}
    assert [(o.ods_code, o.kind, len(o.hub_ids or [])) for o in owners] == [
        ("QRV", "icb", 4), ("QXU", "icb", 2)]
    assert [(r.period_label, r.status) for r in rows] == [
        ("FY2023/24 Q4", "signed_off"), ("FY2023/24 Q4", "draft")]
    csv = returns.files(rows[0], owners[0], "csv")
    assert returns.render.sha256(csv) == rows[0].content_sha256
    assert b",Total,Total,Total,NONE,NONE,ACT01,Sessions delivered,4\r\n" in csv  # Hounslow

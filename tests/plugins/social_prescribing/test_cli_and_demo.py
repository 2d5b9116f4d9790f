"""``imm-graph social-prescribing platforms …`` as staff run it, the demo rows, the periodic
job and the health answer."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
import sqlalchemy as sa
import typer
from starlette.applications import Starlette
from typer.testing import CliRunner

from imm_graph.cli.plugins import register
from imm_graph.db import Database
from imm_graph.pluginhost.jobs import run_due_jobs
from imm_graph.pluginhost.manager import PluginManager
from plugins.social_prescribing import demo, service
from plugins.social_prescribing.models import SocialPrescribingPlatform, SocialPrescribingReferral
from tests import builders
from tests.plugins.social_prescribing.test_reporting import person


def test_platforms_add_list_rotate_remove(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMM_DATABASE_URL", database_url)
    cli = typer.Typer()
    register(cli, manager=PluginManager.load())

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["social-prescribing", "platforms", *args])
        assert result.exit_code == 0, result.output
        return result.output

    added = run("add", "joy", "--callback-url", "https://joy.example/imm", "--format", "fhir")
    secret = re.search(r"whsec_\S+", added)
    assert secret is not None
    assert "joy\tfhir\thttps://joy.example/imm" in run("list")
    assert secret.group(0) not in run("list")  # secrets are never listed
    rotated = run("rotate", "joy")
    assert "previous secret still valid" in run("list")
    assert re.search(r"whsec_\S+", rotated).group(0) != secret.group(0)  # type: ignore[union-attr]
    duplicate = CliRunner().invoke(cli, ["social-prescribing", "platforms", "add", "joy"])
    assert duplicate.exit_code == 1 and "(duplicate)" in duplicate.output
    unknown = CliRunner().invoke(cli, ["social-prescribing", "platforms", "link", "joy", "nokey"])
    assert unknown.exit_code == 1 and "(not_found)" in unknown.output
    run("remove", "joy")
    assert "joy" not in run("list")


async def test_the_demo_adds_a_platform_and_referrals_in_several_states_once(
    db: Database
) -> None:
    async with db.transaction() as session:  # the real hubs the demo referrals go to
        host = (await builders.organisation(session)).id
        for code in ("HSL-HTC", "WOK-HUB"):
            await builders.hub(session, host, code=code, name=f"{code} hub")
    async with db.transaction() as session:
        first = await demo.seed(session)
    async with db.transaction() as session:
        second = await demo.seed(session)
    assert first == second == {"social_prescribing_platforms": 1,
                               "social_prescribing_referrals": 5}
    async with db.sessions() as session:
        states = sorted(await session.scalars(sa.select(SocialPrescribingReferral.status)))
        overdue = await session.scalar(sa.select(sa.func.count()).where(
            SocialPrescribingReferral.overdue_at.is_not(None)))
    assert states == ["accepted", "declined", "first_attended", "received", "received"]
    assert overdue == 1  # received 20 days ago, no decision


async def test_the_overdue_job_runs_from_the_worker_and_health_reports(
    app: Starlette, db: Database, platform: SocialPrescribingPlatform
) -> None:

    async with db.transaction() as session:
        await service.receive(session, platform, person("old", 1),
                              dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    ran = await run_due_jobs(db, app.state.plugins, dt.datetime(2025, 1, 16, tzinfo=dt.UTC))
    assert [(j.job, j.status) for j in ran if j.plugin == "social_prescribing"] == [
        ("flag-overdue", "ok")]
    async with db.sessions() as session:
        assert await session.scalar(sa.select(SocialPrescribingReferral.overdue_at)) is not None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://imm.test") as client:
        health = (await client.get("/health")).json()
    assert health["plugins"]["social_prescribing"] == {
        "status": "ok", "platforms": 2, "awaitingDecision": 1}


def test_test_nhs_numbers_are_valid_distinct_for_even_serials_and_end_with_the_range() -> None:
    from imm_graph.validators import validate_nhs_number

    # Serials near the top of the range too: past it, f"999{serial:06d}" had seven digits.
    serials = [*range(0, 2_000, 2), *range(demo.TEST_SERIALS - 2_000, demo.TEST_SERIALS - 2, 2)]
    numbers = [demo.test_nhs_number(s) for s in serials]
    assert all(validate_nhs_number(n) == n and len(n) == 10 for n in numbers)
    assert len(set(numbers)) == len(numbers)  # a skipped check digit lands on an odd serial
    assert demo.test_nhs_number(0) == demo.test_nhs_number(1)  # why callers take even serials
    with pytest.raises(ValueError, match="999 test range"):
        demo.test_nhs_number(demo.TEST_SERIALS)

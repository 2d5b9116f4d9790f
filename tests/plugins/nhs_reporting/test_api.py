"""The plug-in as IMM staff and a commissioner use it: GraphQL with its scopes, the download
routes, submission through the outbox, the command line and the periodic job."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
import typer
from starlette.applications import Starlette
from typer.testing import CliRunner

from imm_graph.cli.plugins import register
from imm_graph.plugin_api import Database
from imm_graph.pluginhost.jobs import run_due_jobs
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.pluginhost.outbox import OutboxSettings, run_once
from imm_graph.pluginhost.signing import verify
from plugins.nhs_reporting.models import NhsReturn
from tests.conftest import GraphQLClient, MakeKey, bearer
from tests.http_receiver import Receiver
from tests.plugins.nhs_reporting.fixture import Scenario, build

SECRET = "whsec_" + base64.b64encode(b"imm-signs-nhs-submissions-0123").decode()
GENERATE = """mutation($period: String!) { generateNhsReturn(commissioner: "QRV", period: $period)
  { nhsReturn { id status version periodStart periodEnd } errors { code field message } } }"""


@pytest.fixture
def commissioner_endpoint() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMM_PLUGINS_DISABLED", "podcast,social_prescribing")
    monkeypatch.setenv("IMM_PLUGIN_NHS_REPORTING_SUBMISSION_SECRET", SECRET)


@pytest.fixture
async def scenario(db: Database) -> Scenario:
    return await build(db)


async def test_each_scope_opens_only_its_part(
    http: httpx.AsyncClient, make_key: MakeKey, scenario: Scenario
) -> None:
    staff = GraphQLClient(http, bearer(await make_key(["write:reports", "read:reports"])))
    made = (await staff(GENERATE, period="FY2024/25 Q3"))["generateNhsReturn"]["nhsReturn"]
    pk = int(base64.urlsafe_b64decode(made["id"] + "==").decode().split(":")[1])

    core_only = GraphQLClient(http, bearer(await make_key(["read:core"])))
    body = await core_only.raw("{ nhsReturns { id } }")
    assert body["errors"][0]["extensions"]["scope"] == "read:reports"
    reader = GraphQLClient(http, bearer(await make_key(["read:reports"])))
    refused = await reader.post(GENERATE, period="FY2024/25 Q3")
    assert refused.json()["errors"][0]["extensions"]["scope"] == "write:reports"
    # Published cells for read:reports; the raw figures only with read:reports-raw.
    query = ('{ nhsReturns { id commissioner { odsCode } '
             'cells(section: "people") { measureId primaryLevel value } } }')
    people = (await reader(query))["nhsReturns"][0]["cells"]
    assert {"measureId": "PEO01", "primaryLevel": "5-10", "value": "*"} in people
    raw = await reader.raw("{ nhsReturns { rawCells { value } } }")
    assert raw["errors"][0]["extensions"]["scope"] == "read:reports-raw"
    inside = GraphQLClient(http, bearer(await make_key(["read:reports", "read:reports-raw"])))
    cells = (await inside('{ nhsReturns { rawCells(section: "people") '
                          "{ primaryLevel value published } } }"))["nhsReturns"][0]["rawCells"]
    assert {"primaryLevel": "5-10", "value": 2.0, "published": "*"} in cells

    key = bearer(await make_key(["read:core"]))
    assert (await http.get(f"/plugins/nhs_reporting/returns/{pk}.csv", headers=key)
            ).status_code == 403
    reader_key = bearer(await make_key(["read:reports"]))
    assert (await http.get(f"/plugins/nhs_reporting/returns/{pk}/raw.json",
                           headers=reader_key)).status_code == 403
    assert (await http.get(f"/plugins/nhs_reporting/returns/{pk}.csv",
                           headers=reader_key)).status_code == 200
    assert (await http.get("/plugins/nhs_reporting/returns/999.csv",
                           headers=reader_key)).status_code == 404


async def test_draft_sign_off_download_and_submit_through_the_outbox(
    app: Starlette, http: httpx.AsyncClient, db: Database, make_key: MakeKey,
    scenario: Scenario, commissioner_endpoint: Receiver,
) -> None:
    staff = GraphQLClient(http, bearer(await make_key(["write:reports", "read:reports"])))
    defined = await staff("""mutation($url: String!) { defineNhsCommissioner(odsCode: "QRV",
        kind: "icb", name: "NHS North West London Integrated Care Board",
        hubCodes: ["HSL-LVA", "HSL-HTC"], submissionUrl: $url) {
        commissioner { odsCode hubCodes } errors { code } } }""", url=commissioner_endpoint.url)
    assert defined["defineNhsCommissioner"]["commissioner"]["hubCodes"] == ["HSL-HTC", "HSL-LVA"]
    bad = await staff("""mutation { defineNhsCommissioner(odsCode: "QRV", kind: "ccg",
        name: "x") { errors { code field } } }""")
    assert bad["defineNhsCommissioner"]["errors"] == [{"code": "unknown_kind", "field": "kind"}]

    ambiguous = (await staff(GENERATE, period="2024-Q3"))["generateNhsReturn"]
    assert ambiguous["nhsReturn"] is None
    assert (ambiguous["errors"][0]["field"], ambiguous["errors"][0]["code"]) == (
        "period", "ambiguous_quarter")
    draft = (await staff(GENERATE, period="FY2024/25 Q3"))["generateNhsReturn"]["nhsReturn"]
    assert draft["status"] == "draft"
    assert (draft["periodStart"], draft["periodEnd"]) == ("2024-10-01", "2024-12-31")

    submit = """mutation($id: ID!) { submitNhsReturn(id: $id) { nhsReturn { status submittedVia }
        errors { code } } }"""
    early = (await staff(submit, id=draft["id"]))["submitNhsReturn"]
    assert early["errors"] == [{"code": "not_signed_off"}]
    signed = (await staff("""mutation($id: ID!) { signOffNhsReturn(id: $id) { nhsReturn {
        status signedOffBy contentSha256 } errors { code } } }""", id=draft["id"])
              )["signOffNhsReturn"]["nhsReturn"]
    assert signed["status"] == "signed_off" and signed["signedOffBy"].startswith("key:")

    pk = int(base64.urlsafe_b64decode(draft["id"] + "==").decode().split(":")[1])
    headers = bearer(await make_key(["read:reports"]))
    csv = await http.get(f"/plugins/nhs_reporting/returns/{pk}.csv", headers=headers)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert hashlib.sha256(csv.content).hexdigest() == signed["contentSha256"]
    assert csv.headers["digest"] == f"sha-256={signed['contentSha256']}"
    assert 'filename="imm-qrv-2024-10-01-2024-12-31-v1.csv"' in csv.headers[
        "content-disposition"]
    xlsx = await http.get(f"/plugins/nhs_reporting/returns/{pk}.xlsx", headers=headers)
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content))["Cover"]["B9"].value == "Final"
    package = (await http.get(f"/plugins/nhs_reporting/returns/{pk}/datapackage.json",
                              headers=headers)).json()
    assert package["resources"][0]["path"] == "imm-qrv-2024-10-01-2024-12-31-v1.csv"

    sent = (await staff(submit, id=draft["id"]))["submitNhsReturn"]
    assert sent == {"nhsReturn": {"status": "submitted", "submittedVia": "outbox"},
                    "errors": []}
    assert (await staff(submit, id=draft["id"]))["submitNhsReturn"]["errors"] == [
        {"code": "already_submitted"}]
    # The worker sends the file, signed; the commissioner gets exactly the signed-off bytes.
    async with httpx.AsyncClient() as client:
        report = await run_once(db, client, plugins=app.state.plugins,
                                settings=OutboxSettings(batch_size=10))
    assert report.delivered == 1
    (received,) = commissioner_endpoint.requests
    assert received.body == csv.content
    assert received.headers["content-type"] == "text/csv; charset=utf-8"
    assert received.headers["x-imm-content-sha256"] == signed["contentSha256"]
    assert verify([SECRET], received.headers, received.body, now=time.time())


async def test_the_worker_drafts_each_commissioners_return_once_a_quarter_closes(
    app: Starlette, db: Database, scenario: Scenario
) -> None:
    jan = dt.datetime(2025, 1, 2, 6, tzinfo=dt.UTC)  # FY2024/25 Q3 closed on 31 December
    outcome = await run_due_jobs(db, app.state.plugins, jan)
    assert [(j.plugin, j.job, j.status) for j in outcome] == [
        ("nhs_reporting", "draft-closed-quarter", "ok")]
    again = await run_due_jobs(db, app.state.plugins, jan + dt.timedelta(days=1))
    assert [j.status for j in again] == ["ok"]
    async with db.sessions() as session:
        drafts = (await session.execute(sa.select(
            NhsReturn.period_label, NhsReturn.status, NhsReturn.generated_by))).all()
    assert [tuple(d) for d in drafts] == [("FY2024/25 Q3", "draft", "system:nhs_reporting")]


def test_the_command_line_writes_a_return_with_a_progress_bar(
    database_url: str, scenario: Scenario, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMM_DATABASE_URL", database_url)
    monkeypatch.setenv("IMM_PLUGINS_DISABLED", "podcast,social_prescribing")
    cli = typer.Typer()
    register(cli, manager=PluginManager.load())
    target = tmp_path / "q3.xlsx"
    result = CliRunner().invoke(cli, [
        "nhs-reporting", "generate", "--commissioner", "QRV", "--period", "FY2024/25 Q3",
        "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target)
    assert book["Cover"]["B5"].value == "FY2024/25 Q3"
    refused = CliRunner().invoke(cli, [
        "nhs-reporting", "generate", "--commissioner", "QRV", "--period", "2024-Q3"])
    assert refused.exit_code == 2
    assert "period: period '2024-Q3' is ambiguous" in refused.output

"""The nhs_reporting plug-in's hooks: the only module the ``imm_graph.plugins`` entry point
names. Everything else lives in the modules these hooks call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import PeriodicJob, PluginRoute, SchemaContribution, hookimpl
from plugins.nhs_reporting import graphql, jobs, routes
from plugins.nhs_reporting.settings import NhsReportingSettings

NAME = "nhs_reporting"
DEMO_TOPIC = "imm_graph.demo"


@hookimpl
def imm_graph_config_schema() -> type[NhsReportingSettings]:
    return NhsReportingSettings


@hookimpl
def imm_graph_scopes() -> Mapping[str, str]:
    return graphql.SCOPES


@hookimpl
def imm_graph_models() -> None:
    from plugins.nhs_reporting import models  # noqa: F401  (registers the tables)


@hookimpl
def imm_graph_migrations() -> str:
    return str(Path(__file__).parent / "migrations")


@hookimpl
def imm_graph_schema() -> SchemaContribution:
    return SchemaContribution(queries=[graphql.NhsReportingQuery],
                              mutations=[graphql.NhsReportingMutation], nodes=[graphql.NODE])


@hookimpl
def imm_graph_routes() -> Sequence[Any]:
    return [
        PluginRoute("/returns/{return_id:int}.{fmt}", routes.download),
        PluginRoute("/returns/{return_id:int}/datapackage.json", routes.datapackage),
        PluginRoute("/returns/{return_id:int}/raw.json", routes.raw),
    ]


@hookimpl
def imm_graph_jobs() -> Sequence[PeriodicJob]:
    return [PeriodicJob("draft-closed-quarter", dt.timedelta(days=1), jobs.draft_closed_quarter)]


@hookimpl
async def imm_graph_contribute(
    topic: str, params: Mapping[str, Any], session: AsyncSession, config: NhsReportingSettings
) -> Any:
    if topic == DEMO_TOPIC:
        from plugins.nhs_reporting import demo

        return await demo.seed(session, config.within_days)
    return None


@hookimpl
async def imm_graph_health(db: Any) -> Mapping[str, Any]:
    from plugins.nhs_reporting.models import NhsReturn

    async with db.sessions() as session:
        drafts = await session.scalar(sa.select(sa.func.count()).select_from(NhsReturn).where(
            NhsReturn.status == "draft", NhsReturn.is_current.is_(True)))
    return {"status": "ok", "draftReturns": int(drafts or 0)}


@hookimpl
def imm_graph_cli(app: typer.Typer, config: NhsReportingSettings) -> None:
    from plugins.nhs_reporting import cli

    app.add_typer(cli.build(config), name="nhs-reporting")

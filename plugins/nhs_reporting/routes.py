"""Download routes (an API key with ``read:reports``; raw figures need ``read:reports-raw``).

    GET /plugins/nhs_reporting/returns/{id}.csv             the long-format CSV
    GET /plugins/nhs_reporting/returns/{id}.xlsx            the workbook
    GET /plugins/nhs_reporting/returns/{id}.json            the JSON document
    GET /plugins/nhs_reporting/returns/{id}/datapackage.json  the CSV's Frictionless package
    GET /plugins/nhs_reporting/returns/{id}/raw.json        raw figures (read:reports-raw)
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from imm_graph.plugin_api import problem, require_scope
from plugins.nhs_reporting import render, returns
from plugins.nhs_reporting.figures import Figures
from plugins.nhs_reporting.graphql import RAW, READ
from plugins.nhs_reporting.models import NhsCommissioner, NhsReturn

EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "json": "json"}


async def _load(request: Request) -> tuple[NhsReturn, NhsCommissioner] | Response:
    async with request.app.state.db.sessions() as session:
        found = (await session.execute(
            sa.select(NhsReturn, NhsCommissioner)
            .join(NhsCommissioner, NhsCommissioner.id == NhsReturn.commissioner_id)
            .where(NhsReturn.id == request.path_params["return_id"]))).first()
    if found is None:
        return problem(404, "Not Found", "no such return", code="not_found")
    return found[0], found[1]


async def download(request: Request) -> Response:
    if (denied := require_scope(request, READ)) is not None:
        return denied
    fmt = request.path_params["fmt"]
    if fmt not in EXTENSIONS:
        return problem(404, "Not Found", "format must be csv, xlsx or json", code="not_found")
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    ret, owner = loaded
    body = returns.files(ret, owner, fmt)
    stem = returns.header_of(ret, owner).stem
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
               "Cache-Control": "no-store"}
    if ret.content_sha256 and fmt == "csv":
        headers["Digest"] = f"sha-256={ret.content_sha256}"
    return Response(body, media_type=render.FORMATS[fmt], headers=headers)


async def datapackage(request: Request) -> Response:
    if (denied := require_scope(request, READ)) is not None:
        return denied
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    ret, owner = loaded
    return Response(returns.files(ret, owner, "datapackage"), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


async def raw(request: Request) -> Response:
    """The unsuppressed figures, for IMM staff checking a return before sign-off."""
    if (denied := require_scope(request, RAW)) is not None:
        return denied
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    ret, _owner = loaded
    cells = Figures.from_json(ret.figures).cells
    body = {"notice": "RAW FIGURES: not for publication outside IMM",
            "cells": [{**c.as_dict(), "published": c.shown()} for c in cells]}
    return Response(orjson.dumps(body), media_type="application/json",
                    headers={"Cache-Control": "no-store"})

"""RFC 9457 problem details: the one shape of every HTTP error outside GraphQL."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    type: str = "about:blank",
    **extensions: Any,
) -> JSONResponse:
    """A problem document; ``extensions`` are extra members (RFC 9457 §3.2), e.g. ``code``."""
    body: dict[str, Any] = {"type": type, "title": title, "status": status, "detail": detail}
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)

"""Scope checks for plain HTTP routes (plug-ins'); the GraphQL API answers FORBIDDEN errors.

Starlette's ``@requires("read:referrals")`` works too (the gateway sets ``request.auth``); this
helper answers with a problem document instead of a bare 403.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from imm_graph.security.principal import principal_of
from imm_graph.security.problem import problem


def forbidden(scope: str) -> Response:
    return problem(403, "Forbidden", f"this needs the {scope} scope", code="FORBIDDEN",
                   scope=scope)


def require_scope(request: Request, scope: str) -> Response | None:
    """Use as ``if (denied := require_scope(request, SCOPE)) is not None: return denied``."""
    if principal_of(request).has(scope):
        return None
    return forbidden(scope)

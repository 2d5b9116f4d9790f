"""The response headers every answer carries, and the one exception: GraphiQL's page.

The API serves JSON to programs, so the defaults are strict: nothing may frame it, sniff it,
cache it or load anything from it. The one HTML page, GraphiQL (development only unless turned
on), needs its scripts and styles from unpkg.com: HTML responses get a CSP that allows exactly
those, and the page's inline script by hash rather than by 'unsafe-inline'. A route that sets a
header itself (a public feed's ``Cache-Control``) keeps its own value.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from strawberry.http.ides import get_graphql_ide_html

from imm_graph.config import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_GRAPHIQL_CDN = "https://unpkg.com"


@cache
def graphiql_csp() -> str:
    html = get_graphql_ide_html()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    )
    return (
        f"default-src 'self'; script-src 'self' {_GRAPHIQL_CDN} {hashes}; "
        f"style-src 'self' 'unsafe-inline' {_GRAPHIQL_CDN}; img-src 'self' data: {_GRAPHIQL_CDN}; "
        f"font-src 'self' data: {_GRAPHIQL_CDN}; connect-src 'self' ws: wss:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def fixed_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers added to every response unless the response set them itself."""
    fixed = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "cache-control": "no-store",  # responses may hold personal data
    }
    if settings.is_production and settings.hsts_seconds:
        fixed["strict-transport-security"] = f"max-age={settings.hsts_seconds}; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in fixed.items()]


def csp_for(content_type: bytes, graphiql: bool) -> bytes:
    html = content_type.startswith(b"text/html")
    return (graphiql_csp() if html and graphiql else API_CSP).encode()

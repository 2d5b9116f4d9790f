"""Security headers on every response, and CORS for partners' browser apps.

The API serves JSON to programs, so the defaults are strict: nothing may frame it, sniff it,
cache it or load anything from it. The one HTML page, GraphiQL (development only unless turned
on), needs its scripts and styles from unpkg.com: HTML responses get a CSP that allows exactly
those, and the page's one inline script by hash rather than by 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imm_graph.config import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_GRAPHIQL_CDN = "https://unpkg.com"


@cache
def graphiql_csp() -> str:
    from strawberry.http.ides import get_graphql_ide_html

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


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response, errors included, unless a handler set them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.graphiql = settings.graphiql_enabled
        self.fixed: dict[str, str] = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cache-Control": "no-store",  # responses may hold personal data
        }
        if settings.is_production and settings.hsts_seconds:
            self.fixed["Strict-Transport-Security"] = (
                f"max-age={settings.hsts_seconds}; includeSubDomains"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed.items():
                    if name not in headers:
                        headers[name] = value
                if "Content-Security-Policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = (
                        graphiql_csp() if html and self.graphiql else API_CSP
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_middleware(settings: Settings) -> list[Middleware]:
    """The outer middleware, outermost first: headers, then CORS (so 401/429 carry both)."""
    from imm_graph.auth import AuthMiddleware
    from imm_graph.ratelimit import RateLimitMiddleware

    stack = [Middleware(SecurityHeadersMiddleware, settings=settings)]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=[
                    "Retry-After", "X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining",
                ],
                max_age=600,
            )
        )
    stack += [Middleware(AuthMiddleware), Middleware(RateLimitMiddleware)]
    return stack

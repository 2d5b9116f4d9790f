"""The one ASGI layer in front of every route: who is calling, may they, and what they get back.

For each HTTP request, in this order:

1. a request id (a well-formed incoming ``X-Request-ID`` is kept so partners can correlate);
2. the body limit: a declared ``Content-Length`` over ``IMM_MAX_BODY_BYTES`` is refused with 413
   before anything is read, and a body that grows past it while streaming is cut off the same
   way;
3. authentication (`ApiKeyBackend`, or a plug-in's ``actor_from_request`` when no key is sent):
   a bad key gets 401; failed attempts are counted per client IP, and past
   ``IMM_AUTH_FAILURES_PER_MINUTE`` the caller gets 429 before any key is checked. Plug-in routes
   that are public or authenticate their callers themselves (`route_policy`) skip this;
4. the caller's rate limit, or the route's own (429 with ``Retry-After``);
5. the route; any exception it lets escape becomes a 500 problem document (the details go to
   the log, never to the client), so a failure never drops the connection or loses headers;
6. on every response: the security headers, ``X-Request-ID`` and the rate-limit headers; then one
   access-log line with the path but never the query string (tokens and personal data travel
   there by mistake).

One layer instead of five: each wrapper of ``send`` costs every request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imm_graph.config import Settings
from imm_graph.logging import get_logger
from imm_graph.security.headers import csp_for, fixed_headers
from imm_graph.security.keys import ApiKeyBackend, InvalidKey
from imm_graph.security.principal import ANONYMOUS, Principal, credentials
from imm_graph.security.problem import problem
from imm_graph.security.ratelimit import Decision, RateLimiter, too_many_requests
from imm_graph.security.route_policy import DEFAULT, RoutePolicies

log = get_logger("imm_graph.http")
EXEMPT_PATHS = frozenset({"/health"})  # load balancers poll it; it reveals nothing
_REQUEST_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was being read."""


@dataclass
class _Exchange:
    """What the gateway learns about one request while it is answered."""

    request_id: str
    started: float
    status: int = 0
    rate: Decision | None = None


def _request_id(incoming: str | None) -> str:
    if incoming and 8 <= len(incoming) <= 64 and set(incoming) <= _REQUEST_ID_CHARS:
        return incoming
    return uuid.uuid4().hex


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class Gateway:
    """The middleware; the key backend and the rate limiter are the app's (``app.state``)."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.settings = settings
        self.clock = clock
        self.fixed = fixed_headers(settings)
        self.graphiql = settings.graphiql_enabled
        self.max_body = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        exchange = _Exchange(_request_id(headers.get("x-request-id")), self.clock())
        state = scope.setdefault("state", {})
        state["request_id"] = exchange.request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                message["headers"] = self._response_headers(message, exchange)
            await send(message)

        try:
            early = await self._admit(scope, headers, state, exchange)
            if early is not None:
                await early(scope, receive, send_with_headers)
            else:
                await self.app(scope, self._limited(receive, headers), send_with_headers)
        except BodyTooLarge:
            if exchange.status:
                raise
            await self._too_large()(scope, receive, send_with_headers)
        except Exception as exc:  # the last line of defence: answer, log, keep the connection
            if exchange.status:
                log.error("http.failed_mid_response", request_id=exchange.request_id,
                          error=type(exc).__name__, exc_info=exc)
                return
            log.error("http.unhandled_error", request_id=exchange.request_id,
                      path=scope.get("path"), error=type(exc).__name__, exc_info=exc)
            await problem(
                500, "Internal Server Error",
                f"Unexpected error. Quote request id {exchange.request_id} when reporting it.",
                code="INTERNAL",
            )(scope, receive, send_with_headers)
        finally:
            principal = state.get("principal")
            elapsed = self.clock() - exchange.started
            log.info(
                "http.request", method=scope.get("method"), path=scope.get("path"),
                status=exchange.status, duration_ms=round(elapsed * 1000, 1),
                request_id=exchange.request_id,
                caller=principal.label if isinstance(principal, Principal) else "anonymous",
            )

    async def _admit(
        self, scope: Scope, headers: Headers, state: dict[str, object], exchange: _Exchange
    ) -> Response | None:
        """An early answer (413, 401, 429), or None to let the request through."""
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return self._too_large()
        if scope["path"] in EXEMPT_PATHS or scope["method"] == "OPTIONS":
            return None
        app_state = scope["app"].state
        limiter: RateLimiter = app_state.rate_limiter
        policies: RoutePolicies | None = getattr(app_state, "route_policies", None)
        policy = policies.for_request(scope["path"], scope["method"]) if policies else DEFAULT
        ip = _client_ip(scope)
        if policy.auth == "api_key":
            principal = await self._authenticate(app_state, limiter, headers, ip)
            if isinstance(principal, Response):
                return principal
        else:  # a public route, or one that authenticates its callers itself
            principal = ANONYMOUS
        state["principal"] = principal
        scope["user"] = principal
        scope["auth"] = credentials(principal)
        if policy.own_limit:
            if policy.per_minute is None:
                return None
            key, limit = f"route:{policy.name}:{ip}", policy.per_minute
        elif principal.is_anonymous:
            key, limit = f"ip:{ip}", self.settings.anonymous_rate_limit_per_minute
        else:
            key = f"key:{principal.key_id or principal.label}"
            limit = principal.rate_limit_per_minute or self.settings.rate_limit_per_minute
        decision = limiter.take(key, limit)
        exchange.rate = decision
        if not decision.allowed:
            return too_many_requests(decision)
        return None

    async def _authenticate(
        self, app_state: Any, limiter: RateLimiter, headers: Headers, ip: str
    ) -> Principal | Response:
        """The caller by API key (or a plug-in's ``actor_from_request``), or a refusal."""
        failures = f"authfail:{ip}"
        per_minute = self.settings.auth_failures_per_minute
        authorization = headers.get("authorization")
        if authorization is None:
            for hook in getattr(app_state, "actor_hooks", ()):
                found = await hook(headers)
                if isinstance(found, Principal):
                    return found
            return ANONYMOUS
        blocked = limiter.peek(failures, per_minute)
        if not blocked.allowed:
            return too_many_requests(blocked, "failed authentications from this address")
        backend: ApiKeyBackend = app_state.auth_backend
        try:
            return await backend.principal(authorization)
        except InvalidKey as exc:
            limiter.take(failures, per_minute)
            return unauthorized(exc)

    def _limited(self, receive: Receive, headers: Headers) -> Receive:
        """``receive`` that refuses to deliver more than the body limit."""
        limit, seen = self.max_body, 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        return receive_limited

    def _too_large(self) -> Response:
        return problem(
            413, "Content Too Large",
            f"the request body is larger than the {self.max_body} bytes this server accepts",
            code="BODY_TOO_LARGE", headers={"Connection": "close"},
        )

    def _response_headers(self, message: Message, exchange: _Exchange) -> list[tuple[bytes, bytes]]:
        raw: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
        present = {name.lower() for name, _ in raw}
        raw.extend(pair for pair in self.fixed if pair[0] not in present)
        if b"content-security-policy" not in present:
            content_type = next((v for n, v in raw if n.lower() == b"content-type"), b"")
            raw.append((b"content-security-policy", csp_for(content_type, self.graphiql)))
        raw.append((b"x-request-id", exchange.request_id.encode()))
        if exchange.rate is not None:
            raw.append((b"ratelimit-limit", str(exchange.rate.limit).encode()))
            raw.append((b"ratelimit-remaining", str(exchange.rate.remaining).encode()))
        return raw


def unauthorized(exc: InvalidKey) -> Response:
    challenge = f'Bearer realm="imm_graph", error="{exc.error}", error_description="{exc.detail}"'
    return problem(401, "Unauthorized", exc.detail, headers={"WWW-Authenticate": challenge},
                   code="UNAUTHENTICATED")

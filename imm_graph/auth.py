"""API keys and scopes: who is calling, and what they may do.

A partner calls with ``Authorization: Bearer imm_<key id>_<secret>``. The key id is public (it
appears in the audit log and in `imm-graph keys list`); the secret is shown once at creation and
only its HMAC (keyed with the server secret, so a leaked table is useless without the server)
is stored. Verification looks the key up by id and compares hashes in constant time.

No header means the anonymous principal, who may read IMM's public fields only. A header that
does not name a live key is refused with 401 rather than treated as anonymous: a partner whose
key expired should hear so, not silently receive less data.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imm_graph.crypto import keyring
from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.models import ApiKey, Organisation

READ_CORE = "read:core"
WRITE_CORE = "write:core"
READ_IMPACT = "read:impact"
READ_PERSONAL = "read:personal"
READ_REFERRALS = "read:referrals"
WRITE_REFERRALS = "write:referrals"
READ_REPORTS = "read:reports"
WRITE_REPORTS = "write:reports"
PUBLISH_PODCAST = "publish:podcast"
ADMIN = "admin"

SCOPES: dict[str, str] = {
    READ_CORE: "organisations, hubs, programmes, projects, sessions, stakeholders, pseudonymous "
    "participants and assessments",
    WRITE_CORE: "create and update the core records (every mutation of the core)",
    READ_IMPACT: "impact figures",
    READ_PERSONAL: "identifiable participant and referral data (every read is audited)",
    READ_REFERRALS: "social-prescribing referrals and their status",
    WRITE_REFERRALS: "submit referrals and update their status",
    READ_REPORTS: "commissioners' returns",
    WRITE_REPORTS: "generate and submit commissioners' returns",
    PUBLISH_PODCAST: "publish Talking Generations podcast episodes",
    ADMIN: "everything, including the audit log",
}

_KEY = re.compile(r"^imm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_HASH_PURPOSE = "api-key"
log = get_logger(__name__)


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    key_id: str | None = None  # the public key id; None for anonymous callers
    api_key_pk: int | None = None
    name: str = "anonymous"
    organisation_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    rate_limit_per_minute: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.key_id is None

    def has(self, scope: str) -> bool:
        """``admin`` implies every scope."""
        return scope in self.scopes or ADMIN in self.scopes

    has_scope = has

    @property
    def label(self) -> str:
        return "anonymous" if self.key_id is None else f"key:{self.key_id}"


ANONYMOUS = Principal()


def principal_of(context: Any) -> Principal:
    """The principal on a GraphQL context or request; anonymous when none was set."""
    principal = getattr(context, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


# --- keys -------------------------------------------------------------------------------------


def check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValidationError.single(
            "scopes", "unknown_scope",
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}",
        )
    if not wanted:
        raise ValidationError.single("scopes", "required", "give at least one scope")
    return wanted


def hash_secret(secret: str) -> str:
    return keyring().mac(_HASH_PURPOSE, secret)


def parse_key(token: str) -> tuple[str, str] | None:
    match = _KEY.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # the full `imm_<key id>_<secret>`: shown once, never stored


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    scopes: Iterable[str],
    organisation_id: int | None = None,
    expires_at: dt.datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> NewKey:
    name = name.strip()
    if not name:
        raise ValidationError.single("name", "required", "give the key a name")
    wanted = check_scopes(scopes)
    if organisation_id is not None and await session.get(Organisation, organisation_id) is None:
        raise ValidationError.single(
            "organisationId", "not_found", f"no organisation with id {organisation_id}"
        )
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise ValidationError.single("rateLimit", "out_of_range", "rate limit must be at least 1")
    key_id = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)  # 256 bits: not guessable, so a fast hash is enough
    key = ApiKey(
        key_id=key_id, secret_hash=hash_secret(secret), name=name,
        organisation_id=organisation_id, scopes=wanted, expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(key)
    await session.flush()
    return NewKey(key=key, token=f"imm_{key_id}_{secret}")


async def revoke_api_key(session: AsyncSession, key_id: str) -> ApiKey:
    key = await session.scalar(sa.select(ApiKey).where(ApiKey.key_id == key_id))
    if key is None:
        raise ValidationError.single("keyId", "not_found", f"no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


class AuthenticationError(Exception):
    """The header names no live key. ``detail`` is safe to show the caller."""

    def __init__(self, detail: str, error: str = "invalid_token") -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error


class Authenticator:
    """Turns an Authorization header into a Principal; one per app.

    Every authenticated request looks its key up (one indexed SELECT), so revocation takes
    effect at once on every worker. ``last_used_at`` is written at most once per
    ``touch_seconds`` per key and process, to keep reads read-only.
    """

    def __init__(self, touch_seconds: int = 60, clock: Any = time.monotonic) -> None:
        self.touch_seconds = touch_seconds
        self.clock = clock
        self._touched: dict[int, float] = {}

    async def authenticate(self, db: Database, header: str | None) -> Principal:
        if header is None:
            return ANONYMOUS
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "use `Authorization: Bearer <API key>`", error="invalid_request"
            )
        parsed = parse_key(token)
        if parsed is None:
            raise AuthenticationError("this is not an imm_graph API key")
        key_id, secret = parsed
        table = ApiKey.__table__
        async with db.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(table).where(table.c.key_id == key_id))
            ).first()
        presented = hash_secret(secret)
        stored = row.secret_hash if row is not None else "0" * len(presented)
        if not hmac.compare_digest(presented, stored) or row is None:
            log.info("api_key_refused", key_id=key_id, reason="unknown")
            raise AuthenticationError("unknown API key")
        now = utcnow()
        if row.revoked_at is not None:
            log.info("api_key_refused", key_id=key_id, reason="revoked")
            raise AuthenticationError("this API key was revoked")
        if row.expires_at is not None and row.expires_at <= now:
            log.info("api_key_refused", key_id=key_id, reason="expired")
            raise AuthenticationError(f"this API key expired on {row.expires_at:%Y-%m-%d}")
        await self._touch(db, row.id, now)
        return Principal(
            key_id=row.key_id, api_key_pk=row.id, name=row.name,
            organisation_id=row.organisation_id, scopes=frozenset(row.scopes or ()),
            rate_limit_per_minute=row.rate_limit_per_minute,
        )

    async def _touch(self, db: Database, pk: int, now: dt.datetime) -> None:
        tick = self.clock()
        last = self._touched.get(pk)
        if last is not None and tick - last < self.touch_seconds:
            return
        self._touched[pk] = tick
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.update(ApiKey.__table__).where(ApiKey.__table__.c.id == pk)
                .values(last_used_at=now)
            )


# --- HTTP -------------------------------------------------------------------------------------


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """RFC 9457 problem details."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status, media_type="application/problem+json", headers=headers,
    )


def unauthorized(exc: AuthenticationError) -> Response:
    challenge = f'Bearer realm="imm_graph", error="{exc.error}", error_description="{exc.detail}"'
    return problem(401, "Unauthorized", exc.detail, {"WWW-Authenticate": challenge})


def forbidden(scope: str) -> Response:
    """For plain HTTP routes (plug-ins'): the GraphQL API answers FORBIDDEN errors instead."""
    return problem(403, "Forbidden", f"this needs the {scope} scope")


def require_scope(request: Request, scope: str) -> Response | None:
    """For plug-ins' HTTP handlers; use as::

        if (denied := require_scope(request, WRITE_REFERRALS)) is not None:
            return denied
    """
    if principal_of(request.state).has(scope):
        return None
    return forbidden(scope)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class AuthMiddleware:
    """Sets ``request.state.principal`` and ``request.state.request_id`` on every request.

    A well-formed incoming ``X-Request-ID`` is kept (so a partner can correlate), any other is
    replaced; the id is returned in the response and recorded in the audit log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        app_state = scope["app"].state
        try:
            principal = await app_state.authenticator.authenticate(
                app_state.db, headers.get("authorization")
            )
        except AuthenticationError as exc:
            await unauthorized(exc)(scope, receive, send_with_id)
            return
        state["principal"] = principal
        await self.app(scope, receive, send_with_id)

"""API keys: issued, revoked, and verified on every request as a Starlette auth backend.

A partner calls with ``Authorization: Bearer imm_<key id>_<secret>``. The key id is public (it
appears in the audit log and in `imm-graph keys list`); the secret is shown once at creation and
only its HMAC (keyed with the server secret, so a leaked table is useless without the server)
is stored. Verification looks the key up by id and compares hashes in constant time.

No header means the anonymous principal, who may read IMM's public fields only. A header that
does not name a live key is refused with 401 rather than treated as anonymous: a partner whose
key expired should hear so, not silently receive less data.

Verified keys are remembered for ``cache_seconds`` (``IMM_API_KEY_CACHE_SECONDS``), so a busy
partner costs one lookup per key and period instead of one per request. The price is that a
revoked key keeps working on a worker that verified it for at most that long; expiry is still
checked on every request.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.authentication import AuthenticationBackend, AuthenticationError
from starlette.requests import HTTPConnection

from imm_graph.db import Database, utcnow
from imm_graph.errors import ValidationError
from imm_graph.logging import get_logger
from imm_graph.models import ApiKey, Organisation
from imm_graph.security.crypto import keyring
from imm_graph.security.principal import ANONYMOUS, Principal
from imm_graph.security.scopes import SCOPES

_KEY = re.compile(r"^imm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_HASH_PURPOSE = "api-key"
log = get_logger(__name__)


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
    wanted = SCOPES.check(scopes)
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


class InvalidKey(AuthenticationError):
    """The header names no live key. ``detail`` is safe to show the caller."""

    def __init__(self, detail: str, error: str = "invalid_token") -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error


@dataclass(frozen=True)
class _Verified:
    secret_hash: str
    principal: Principal
    expires_at: dt.datetime | None
    until: float  # monotonic time when this must be looked up again


class ApiKeyBackend(AuthenticationBackend):
    """Turns an ``Authorization`` header into a `Principal`; one per app.

    ``last_used_at`` is written at most once per ``touch_seconds`` per key and process, so
    that reads stay read-only.
    """

    def __init__(
        self,
        db: Database,
        *,
        touch_seconds: int = 60,
        cache_seconds: float = 10,
        clock: Callable[[], float] = time.monotonic,
        max_cached: int = 10_000,
    ) -> None:
        self.db = db
        self.touch_seconds = touch_seconds
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.max_cached = max_cached
        self._touched: dict[int, float] = {}
        self._verified: dict[str, _Verified] = {}
        self.lookups = 0  # database lookups made: tests prove the cache with it

    async def authenticate(self, conn: HTTPConnection) -> tuple[object, Principal] | None:
        """Starlette's interface; the gateway calls `principal` directly."""
        return None, await self.principal(conn.headers.get("authorization"))

    async def principal(self, header: str | None) -> Principal:
        if header is None:
            return ANONYMOUS
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidKey("use `Authorization: Bearer <API key>`", error="invalid_request")
        parsed = parse_key(token)
        if parsed is None:
            raise InvalidKey("this is not an imm_graph API key")
        key_id, secret = parsed
        presented = hash_secret(secret)
        now = utcnow()
        cached = self._verified.get(key_id)
        if cached is not None and cached.until > self.clock():
            if not hmac.compare_digest(presented, cached.secret_hash):
                raise InvalidKey("unknown API key")
            self._check_expiry(key_id, cached.expires_at, now)
            return cached.principal
        return await self._lookup(key_id, presented, now)

    async def _lookup(self, key_id: str, presented: str, now: dt.datetime) -> Principal:
        table = ApiKey.__table__
        self.lookups += 1
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.key_id == key_id))).first()
        stored = row.secret_hash if row is not None else "0" * len(presented)
        if not hmac.compare_digest(presented, stored) or row is None:
            log.info("api_key_refused", key_id=key_id, reason="unknown")
            raise InvalidKey("unknown API key")
        if row.revoked_at is not None:
            log.info("api_key_refused", key_id=key_id, reason="revoked")
            raise InvalidKey("this API key was revoked")
        self._check_expiry(key_id, row.expires_at, now)
        principal = Principal(
            key_id=row.key_id, api_key_pk=row.id, name=row.name,
            organisation_id=row.organisation_id, scopes=frozenset(row.scopes or ()),
            rate_limit_per_minute=row.rate_limit_per_minute,
        )
        if self.cache_seconds > 0:
            if len(self._verified) >= self.max_cached:
                self._verified.clear()  # rare; re-verifying is always correct
            self._verified[key_id] = _Verified(
                stored, principal, row.expires_at, self.clock() + self.cache_seconds
            )
        await self._touch(row.id, now)
        return principal

    @staticmethod
    def _check_expiry(key_id: str, expires_at: dt.datetime | None, now: dt.datetime) -> None:
        if expires_at is not None and expires_at <= now:
            log.info("api_key_refused", key_id=key_id, reason="expired")
            raise InvalidKey(f"this API key expired on {expires_at:%Y-%m-%d}")

    def forget(self, key_id: str) -> None:
        """Drop a cached verification (this process revoked the key)."""
        self._verified.pop(key_id, None)

    async def _touch(self, pk: int, now: dt.datetime) -> None:
        tick = self.clock()
        last = self._touched.get(pk)
        if last is not None and tick - last < self.touch_seconds:
            return
        self._touched[pk] = tick
        async with self.db.write_engine.begin() as conn:
            await conn.execute(
                sa.update(ApiKey.__table__).where(ApiKey.__table__.c.id == pk)
                .values(last_used_at=now)
            )

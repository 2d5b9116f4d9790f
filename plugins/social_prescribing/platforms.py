"""Registered referral platforms: add, list, rotate, remove, and whose signature a request has.

A platform's secrets are Standard Webhooks secrets (``whsec_<base64>``), stored encrypted. A
rotation keeps the previous secret valid until the next rotation, so a platform can switch
without dropping a referral.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import secrets
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph.plugin_api import Database, SignatureProblem, ValidationError, models, verify_signed
from plugins.social_prescribing.models import SocialPrescribingPlatform as Platform
from plugins.social_prescribing.models import SocialPrescribingReferral

FORMATS = ("native", "fhir")

# Signature checks read the platform rows (with their decrypted secrets) from a per-process
# cache: one SELECT and two decryptions saved per referral. An add, rotate, link or remove in
# this process empties it at once; another process (a CLI rotate, another worker) is seen
# within CACHE_SECONDS, so a removed platform or a replaced previous secret stops working
# within that many seconds.
CACHE_SECONDS = 5.0
_CACHE_LIMIT = 256  # distinct x-imm-platform values kept (the header is the sender's choice)
_generation = 0
_caches: weakref.WeakKeyDictionary[Any, dict[str | None, tuple[float, int, list[Platform]]]] = (
    weakref.WeakKeyDictionary())
# The reads under way, per database: (name, generation) → the one read the others wait for.
_reads: weakref.WeakKeyDictionary[Any, dict[tuple[str | None, int], asyncio.Future[Any]]] = (
    weakref.WeakKeyDictionary())


def changed() -> None:
    """Platforms changed in this process: the next request reads them again."""
    global _generation
    _generation += 1


async def _candidates(db: Database, named: str | None) -> list[Platform]:
    """The platforms that may have signed (the named one, or all), cached per database: a
    request the cache answers opens no session at all. When the entry expires, the requests
    in flight wait for one read instead of each making its own: under a burst that was every
    request at once, and more sessions than the pool holds (new connections, each a new
    PostgreSQL process) every CACHE_SECONDS."""
    cache = _caches.setdefault(db, {})
    hit = cache.get(named)
    if hit is not None and hit[0] > time.monotonic() and hit[1] == _generation:
        return hit[2]
    reads = _reads.setdefault(db, {})
    key = (named, _generation)
    read = reads.get(key)
    if read is None:
        read = reads[key] = asyncio.ensure_future(_read(db, named, cache))
        read.add_done_callback(lambda _: reads.pop(key, None))
    found: list[Platform] = await asyncio.shield(read)  # a caller giving up cancels no read
    return found


async def _read(db: Database, named: str | None,
                cache: dict[str | None, tuple[float, int, list[Platform]]]) -> list[Platform]:
    generation = _generation
    query = sa.select(Platform).order_by(Platform.id)
    if named:
        query = query.where(Platform.name == named)
    async with db.sessions() as session:
        found = list(await session.scalars(query))
        for platform in found:
            session.expunge(platform)  # read-only snapshots, shared between requests
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[named] = (time.monotonic() + CACHE_SECONDS, generation, found)
    return found


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check(name: str, callback_url: str | None, format: str) -> None:
    if not name or len(name) > 80:
        raise ValidationError.single("name", "required", "a platform needs a name (≤ 80 chars)")
    if format not in FORMATS:
        raise ValidationError.single("format", "code_invalid", "format must be native or fhir")
    if callback_url is not None:
        url = httpx.URL(callback_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError.single("callbackUrl", "url_format",
                                         "callbackUrl must be an absolute http(s) URL")


async def add(
    session: AsyncSession, name: str, *, callback_url: str | None = None,
    format: str = "native", secret: str | None = None, api_key_id: int | None = None,
) -> tuple[Platform, str]:
    """Register a platform; returns it and its secret (shown once, to give to the platform)."""
    _check(name, callback_url, format)
    if await session.scalar(sa.select(Platform.id).where(Platform.name == name)) is not None:
        raise ValidationError.single("name", "duplicate", f"a platform named {name!r} exists")
    secret = secret or new_secret()
    platform = Platform(name=name, format=format, secret=secret, callback_url=callback_url,
                        api_key_id=api_key_id)
    session.add(platform)
    await session.flush()
    changed()
    return platform, secret


async def by_name(session: AsyncSession, name: str) -> Platform:
    platform = await session.scalar(sa.select(Platform).where(Platform.name == name))
    if platform is None:
        raise ValidationError.single("name", "not_found", f"no platform named {name!r}")
    return platform


async def rotate(session: AsyncSession, name: str, now: dt.datetime) -> str:
    """A new secret; the current one stays valid (as the previous) until the next rotation."""
    platform = await by_name(session, name)
    secret = new_secret()
    platform.previous_secret, platform.secret = platform.secret, secret
    platform.rotated_at = now
    await session.flush()
    changed()
    return secret


async def link_key(session: AsyncSession, name: str, key_id: str) -> None:
    """Link an API key (its public id) to a platform: with it, GraphQL shows that platform's
    referrals only, and ``submitReferral`` submits as that platform."""
    platform = await by_name(session, name)
    found = await session.scalar(sa.select(models.ApiKey.id).where(models.ApiKey.key_id == key_id))
    if found is None:
        raise ValidationError.single("keyId", "not_found", f"no API key has the id {key_id!r}")
    platform.api_key_id = int(found)
    await session.flush()
    changed()


async def remove(session: AsyncSession, name: str) -> None:
    """Remove a platform that sent nothing (one with referrals is kept for their history)."""
    platform = await by_name(session, name)
    sent = await session.scalar(sa.select(sa.func.count()).select_from(SocialPrescribingReferral)
                                .where(SocialPrescribingReferral.platform_id == platform.id))
    if sent:
        raise ValidationError.single(
            "name", "in_use", f"{name!r} sent {sent} referral(s): it cannot be removed")
    await session.delete(platform)
    await session.flush()
    changed()


@dataclass(frozen=True)
class Signed:
    platform: Platform
    key: str  # the webhook-id


def secrets_of(platform: Platform) -> list[str]:
    return [s for s in (platform.secret, platform.previous_secret) if s]


async def signed_by(db: Database, headers: Mapping[str, str], body: bytes) -> Signed:
    """The platform whose secret signed this request, or `SignatureProblem`.

    A platform may name itself (``x-imm-platform``) so only its secrets are tried; otherwise
    every registered platform's are, and the one that matches is the sender.
    """
    candidates = await _candidates(db, headers.get("x-imm-platform") or None)
    problem: SignatureProblem | None = None
    for platform in candidates:
        try:
            return Signed(platform, verify_signed(secrets_of(platform), headers, body))
        except SignatureProblem as refused:
            if refused.code != "bad_signature":
                raise  # missing headers or a stale timestamp: the same for every platform
            problem = refused
    raise problem or SignatureProblem("bad_signature", "no registered platform signed this")

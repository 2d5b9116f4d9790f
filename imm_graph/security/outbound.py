"""Where the server may send requests: partners' public addresses, not its own network.

Partner URLs come from outside (a referral platform registers its callback; the campaign team
gives artwork and audio URLs). Without a check, a URL like ``http://169.254.169.254/`` or
``http://localhost:5432/`` would turn the outbox or the artwork check into a probe of IMM's own
network (server-side request forgery, OWASP API7). Every outbound request resolves its host
first and refuses loopback, private, link-local, reserved and multicast addresses, unless
private networks are allowed (development and tests, where receivers run on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx


class OutboundRefused(Exception):
    """The destination is not a public address (the message names the host, never a body)."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified
    )


async def check_destination(url: str, *, allow_private: bool) -> None:
    """Raise `OutboundRefused` unless ``url`` is http(s) to a public address."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OutboundRefused(f"only absolute http(s) URLs can be fetched, not {parsed.scheme!r}")
    if allow_private:
        return
    host = parsed.host
    try:
        addresses = [host] if _is_ip(host) else [
            info[4][0] for info in await asyncio.get_running_loop().getaddrinfo(
                host, parsed.port or (443 if parsed.scheme == "https" else 80),
                type=socket.SOCK_STREAM,
            )
        ]
    except OSError:
        raise OutboundRefused(f"{host} does not resolve") from None
    if not addresses or not all(_public(a) for a in addresses):
        raise OutboundRefused(f"{host} is not a public address; partner URLs must be public")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

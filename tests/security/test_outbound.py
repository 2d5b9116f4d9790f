"""Server-side request forgery (OWASP API7): partner URLs must be public addresses.

The outbox and the plug-ins' fetches resolve a URL's host at send time and refuse IMM's own
network: loopback, private ranges, link-local (cloud metadata), unspecified, multicast. Tests
allow private networks (their receivers run on 127.0.0.1); production does not.
"""

from __future__ import annotations

import pytest

from imm_graph.security.outbound import OutboundRefused, check_destination


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost/admin",  # a name that resolves to loopback
        "http://10.0.0.8/",
        "http://192.168.1.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]:8000/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
async def test_our_own_network_is_refused(url: str) -> None:
    with pytest.raises(OutboundRefused, match="not a public address"):
        await check_destination(url, allow_private=False)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.org/", "/relative"])
async def test_only_absolute_http_urls(url: str) -> None:
    with pytest.raises(OutboundRefused, match="http"):
        await check_destination(url, allow_private=True)


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(OutboundRefused, match="does not resolve"):
        await check_destination("https://no-such-host.invalid/hook", allow_private=False)


async def test_public_addresses_pass() -> None:
    await check_destination("https://8.8.8.8/hook", allow_private=False)
    await check_destination("http://[2001:4860:4860::8888]/", allow_private=False)


async def test_development_may_reach_local_receivers() -> None:
    await check_destination("http://127.0.0.1:9000/hook", allow_private=True)

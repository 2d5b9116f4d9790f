"""Per-route access policy: routes that need no API key, and routes with their own rate limit.

The gateway authenticates before routing, so it learns a route's policy from its path: a
public podcast feed must answer a directory that sends a stale ``Authorization`` header, a
signed webhook carries no key at all, and a feed polled by CDNs must not spend the anonymous
per-IP budget. Policies come from plug-ins' routes (`imm_graph.pluginhost.routes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Auth = Literal["api_key", "public", "plugin"]


@dataclass(frozen=True)
class RoutePolicy:
    auth: Auth = "api_key"
    per_minute: int | None = None  # the route's own per-IP budget; None: the server's
    own_limit: bool = False  # True: ``per_minute`` replaces the server's (None: unlimited)
    name: str = ""


DEFAULT = RoutePolicy()


class RoutePolicies:
    """Path patterns (Starlette-compiled) and their policies; the first match wins."""

    def __init__(self, prefix: str = "/plugins/") -> None:
        self.prefix = prefix
        self._rules: list[tuple[re.Pattern[str], frozenset[str], RoutePolicy]] = []

    def add(self, pattern: re.Pattern[str], methods: frozenset[str], policy: RoutePolicy) -> None:
        self._rules.append((pattern, methods, policy))

    def for_request(self, path: str, method: str) -> RoutePolicy:
        if not path.startswith(self.prefix):
            return DEFAULT
        for pattern, methods, policy in self._rules:
            if (method in methods or (method == "HEAD" and "GET" in methods)) and pattern.match(
                path
            ):
                return policy
        return DEFAULT

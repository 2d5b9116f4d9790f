"""Plug-ins' routes, mounted under ``/plugins/<name>/``, with their access policies."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, compile_path

from imm_graph.pluginhost.contract import PluginRoute
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.security.route_policy import RoutePolicies, RoutePolicy


def mount(plugins: PluginManager) -> tuple[list[BaseRoute], RoutePolicies]:
    """One ``Mount("/plugins/<name>")`` per plug-in with routes, and the gateway's policies."""
    mounts: list[BaseRoute] = []
    policies = RoutePolicies()
    for plugin, routes in plugins.routes():
        starlette_routes: list[BaseRoute] = []
        for route in routes:
            if isinstance(route, PluginRoute):
                starlette_routes.append(
                    Route(route.path, route.endpoint, methods=list(route.methods), name=route.name)
                )
                pattern, _, _ = compile_path(f"/plugins/{plugin}{route.path}")
                policy = RoutePolicy(
                    auth=route.auth,
                    per_minute=route.rate_limit.per_minute if route.rate_limit else None,
                    own_limit=route.rate_limit is not None,
                    name=f"{plugin}:{route.name or route.path}",
                )
                methods = frozenset(m.upper() for m in route.methods)
                policies.add(pattern, methods, policy)
            else:  # a plain Starlette route: API-key authentication and the server's limits
                starlette_routes.append(route)
        mounts.append(Mount(f"/plugins/{plugin}", routes=starlette_routes, name=plugin))
    return mounts, policies


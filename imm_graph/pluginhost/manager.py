"""The plug-in manager: discovery, settings, explicit order and isolation.

Built once at start-up (`PluginManager.load`). Plug-ins are found by one mechanism, the
``imm_graph.plugins`` entry-point group: IMM's own plug-ins under ``plugins/`` are declared in
this project's ``pyproject.toml`` exactly as a partner declares theirs. (``extra`` registers
plug-in objects directly, for embedding and tests.)

Order is explicit (``IMM_PLUGINS_ORDER``, then by name) because pluggy calls implementations
last-registered-first and entry points come in no defined order. The manager calls each
plug-in's implementation itself, in that order, so one plug-in's failure can be isolated from
the others' and reported with its name.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pluggy
import pydantic
from pydantic import SecretStr

from imm_graph.logging import get_logger
from imm_graph.pluginhost import contract
from imm_graph.pluginhost.contract import (
    PROJECT,
    OutboundRequest,
    PeriodicJob,
    PluginRoute,
    SchemaContribution,
)
from imm_graph.pluginhost.settings import (
    PluginConfigError,
    PluginError,
    PluginLoadError,
    PluginSettings,
    env_prefix,
    raw_settings,
    read_config_file,
    validate_settings,
)
from imm_graph.retry import error_text
from imm_graph.security.scopes import SCOPES

ENTRY_POINT_GROUP = "imm_graph.plugins"
Source = Literal["entry-point", "extra"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
HEALTH_TIMEOUT_SECONDS = 2.0
log = get_logger(__name__)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginConfigError",
    "PluginError",
    "PluginHook",
    "PluginInfo",
    "PluginLoadError",
    "PluginManager",
    "PluginSettings",
]


@dataclass(frozen=True)
class PluginInfo:
    """One discovered plug-in, as ``imm-graph plugins`` lists it."""

    name: str
    source: Source
    module: str
    version: str | None
    enabled: bool  # what the settings ask for
    hooks: tuple[str, ...] = ()
    error: str | None = None

    @property
    def active(self) -> bool:
        return self.enabled and self.error is None

    @property
    def state(self) -> str:
        return "error" if self.error else ("enabled" if self.enabled else "disabled")


@dataclass(frozen=True)
class PluginHook:
    """One plug-in's implementation of one hook, callable on its own (for isolation)."""

    plugin: str
    impl: pluggy.HookImpl
    config: pydantic.BaseModel | None

    def call(self, **kwargs: Any) -> Any:
        """Call with the hook's arguments; ``config`` is this plug-in's own settings."""
        kwargs.setdefault("config", self.config)
        return self.impl.function(*(kwargs[name] for name in self.impl.argnames))

    async def call_async(self, **kwargs: Any) -> Any:
        """`call`, awaiting the result when the implementation is ``async def``."""
        result = self.call(**kwargs)
        return await result if inspect.isawaitable(result) else result


@dataclass(frozen=True)
class _Candidate:
    name: str
    source: Source
    module: str
    version: str | None
    load: Callable[[], object] = field(compare=False)


def discover() -> list[_Candidate]:
    """Installed plug-ins, without importing them (importing is for enabled ones only)."""
    found: list[_Candidate] = []
    seen: set[tuple[str, str]] = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, ep.value) in seen:  # one distribution reachable through two sys.path entries
            continue
        seen.add((ep.name, ep.value))
        version = ep.dist.version if ep.dist is not None else None
        found.append(_Candidate(ep.name, "entry-point", ep.value, version, ep.load))
    return sorted(found, key=lambda c: c.name)


class PluginManager:
    """The plug-ins of one running process: ask it for what they contribute."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(contract)
        self._infos: dict[str, PluginInfo] = {}
        self._active: list[str] = []
        self._configs: dict[str, pydantic.BaseModel | None] = {}

    # --- building -------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        settings: PluginSettings | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        strict: bool = True,
        extra: Sequence[tuple[str, object]] = (),
    ) -> PluginManager:
        """Discover, import, register and configure the enabled plug-ins, once, at start-up.

        ``strict`` (the app and the worker) raises the first `PluginError`; non-strict
        (``imm-graph plugins``) records it on the plug-in's info and leaves that plug-in out, so
        an operator can see every plug-in's state. ``extra`` registers plug-in objects directly;
        ``environ`` replaces ``os.environ`` for plug-in settings.
        """
        settings = settings or PluginSettings()
        environ = os.environ if environ is None else environ
        manager = cls()
        candidates = discover() + [
            _Candidate(name, "extra", _qualname(obj), getattr(obj, "__version__", None),
                       lambda obj=obj: obj)
            for name, obj in extra
        ]
        candidates = manager._usable(settings, candidates, strict)
        ranked = _ranked([c.name for c in candidates if settings.wants(c.name)], settings.order)
        by_name = {c.name: c for c in candidates}
        for c in candidates:
            manager._infos[c.name] = PluginInfo(
                c.name, c.source, c.module, c.version, enabled=settings.wants(c.name)
            )
        objects: dict[str, object] = {}
        for name in ranked:
            obj = manager._guard(strict, name, lambda n=name: _import(by_name[n]))
            if obj is not None:
                objects[name] = obj
        # pluggy calls the last registered first: registering in reverse makes even direct
        # ``manager.hook.<name>()`` calls follow the configured order.
        for name in reversed([n for n in ranked if n in objects]):
            manager._guard(strict, name, lambda n=name: manager._register(n, objects[n]))
        file_data = read_config_file(settings.config_file)
        for name in ranked:
            if manager._infos[name].active:
                manager._guard(
                    strict, name,
                    lambda n=name: manager._configure(n, environ, file_data.get(n, {}), candidates),
                )
        manager._active = [n for n in ranked if manager._infos[n].active]
        for name in list(manager._active):
            manager._guard(strict, name, lambda n=name: manager._declare_scopes(n))
        manager._active = [n for n in manager._active if manager._infos[n].active]
        return manager

    def _usable(
        self, settings: PluginSettings, candidates: list[_Candidate], strict: bool
    ) -> list[_Candidate]:
        usable: list[_Candidate] = []
        for candidate in candidates:
            problem = None
            if any(c.name == candidate.name for c in usable):
                problem = "installed twice under the same name"
            elif not _NAME.match(candidate.name):
                problem = "names must be lower-case letters, digits and underscores"
            if problem is None:
                usable.append(candidate)
                continue
            if strict and settings.wants(candidate.name):
                raise PluginLoadError(candidate.name, problem)
            log.warning("plugins.skipped", plugin=candidate.name, error=problem)
        names = [c.name for c in usable]
        missing = [n for n in settings.enabled if n != "*" and n not in names]
        if missing and strict:
            raise PluginLoadError(missing[0], "enabled in IMM_PLUGINS_ENABLED but not installed")
        unknown = [n for n in settings.disabled + settings.order if n not in names and n != "*"]
        for name in missing + unknown:
            log.warning("plugins.unknown_name_in_settings", plugin=name)
        return usable

    def _guard(self, strict: bool, name: str, action: Callable[[], Any]) -> Any:
        """Run one plug-in's start-up step; in non-strict mode keep going and remember why not."""
        try:
            return action()
        except PluginError as exc:
            error: PluginError = exc
        except Exception as exc:  # a plug-in's own code failed at start-up
            error = PluginLoadError(name, f"failed at start-up: {error_text(exc)}")
        if strict:
            raise error from None
        self._infos[name] = replace(self._infos[name], error=str(error))
        plugin = self._pm.get_plugin(name)
        if plugin is not None:
            self._pm.unregister(plugin)
        log.warning("plugins.disabled_by_error", plugin=name, error=str(error))
        return None

    def _register(self, name: str, obj: object) -> None:
        try:
            self._pm.register(obj, name=name)
            self._pm.check_pending()  # an @hookimpl with a misspelt hook name
        except pluggy.PluginValidationError as exc:
            if self._pm.get_plugin(name) is not None:
                self._pm.unregister(name=name)
            raise PluginLoadError(name, f"breaks the hook contract: {exc}") from None
        hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(obj) or ()))
        self._infos[name] = replace(self._infos[name], hooks=hooks)

    def _configure(
        self,
        name: str,
        environ: Mapping[str, str],
        file_values: Mapping[str, Any],
        candidates: Sequence[_Candidate],
    ) -> None:
        hook = self._impl(name, "imm_graph_config_schema")
        model = hook.call() if hook else None
        if model is None:
            self._configs[name] = None
            return
        if not (inspect.isclass(model) and issubclass(model, pydantic.BaseModel)):
            raise PluginLoadError(name, "imm_graph_config_schema must return a pydantic model")
        others = [env_prefix(c.name) for c in candidates if c.name != name]
        raw = raw_settings(name, model, environ, file_values, others)
        self._configs[name] = validate_settings(name, model, raw)

    def _declare_scopes(self, name: str) -> None:
        hook = self._impl(name, "imm_graph_scopes")
        declared = hook.call() if hook else None
        if not declared:
            return
        if not isinstance(declared, Mapping):
            raise PluginLoadError(name, "imm_graph_scopes must return {scope: description}")
        for scope, description in declared.items():
            try:
                SCOPES.declare(str(scope), str(description), owner=name)
            except ValueError as exc:
                raise PluginLoadError(name, str(exc)) from None

    # --- asking the plug-ins ----------------------------------------------------------------

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every discovered plug-in: active ones in call order, then the others by name."""
        rest = sorted(n for n in self._infos if n not in self._active)
        return [self._infos[n] for n in [*self._active, *rest]]

    @property
    def enabled(self) -> list[str]:
        """Names of the active plug-ins, in the order their hooks are called."""
        return list(self._active)

    @property
    def hook(self) -> pluggy.HookRelay:
        """Plain pluggy calls, without isolation, in the configured order."""
        return self._pm.hook

    def _impl(self, plugin: str, hook_name: str) -> PluginHook | None:
        caller = getattr(self._pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin_name == plugin and not (impl.hookwrapper or impl.wrapper):
                return PluginHook(plugin, impl, self._configs.get(plugin))
        return None

    def hook_callers(self, hook_name: str) -> list[PluginHook]:
        """Each active plug-in's implementation of ``hook_name``, in the configured order."""
        found = (self._impl(name, hook_name) for name in self._active)
        return [hook for hook in found if hook is not None]

    def implementation(self, plugin: str, hook_name: str) -> PluginHook | None:
        """One active plug-in's implementation of a hook, if it has one."""
        return self._impl(plugin, hook_name) if plugin in self._active else None

    def config_for(self, name: str) -> pydantic.BaseModel | None:
        """The validated settings of an active plug-in (``None`` if it declares none)."""
        if name not in self._active:
            raise KeyError(f"no active plug-in named {name!r}")
        return self._configs.get(name)

    def secret(self, plugin: str, setting: str) -> str | None:
        """A secret setting's value, for the outbox signer; ``None`` if unknown or unset."""
        config = self._configs.get(plugin) if plugin in self._active else None
        value = getattr(config, setting, None) if config is not None else None
        if isinstance(value, SecretStr):
            return value.get_secret_value() or None
        return value if isinstance(value, str) and value else None

    def _startup_results(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        out = []
        for hook in self.hook_callers(hook_name):
            result = _call_at_startup(hook, **kwargs)
            if result is not None:
                out.append((hook.plugin, result))
        return out

    @cached_property
    def _schema_contributions(self) -> list[SchemaContribution]:
        contributions: list[SchemaContribution] = []
        for plugin, result in self._startup_results("imm_graph_schema"):
            if not isinstance(result, SchemaContribution):
                raise PluginLoadError(plugin, "imm_graph_schema must return a SchemaContribution")
            contributions.append(replace(result, plugin=plugin))
        return contributions

    def schema_contributions(self) -> list[SchemaContribution]:
        """Every active plug-in's GraphQL additions, in order (computed once)."""
        return list(self._schema_contributions)

    @cached_property
    def _routes(self) -> list[tuple[str, list[Any]]]:
        found = []
        for plugin, routes in self._startup_results("imm_graph_routes"):
            routes = list(routes)
            if not all(isinstance(r, PluginRoute) or hasattr(r, "matches") for r in routes):
                raise PluginLoadError(plugin, "imm_graph_routes must return routes")
            found.append((plugin, routes))
        return found

    def routes(self) -> list[tuple[str, list[Any]]]:
        """(plug-in, its routes) for every plug-in with routes (mounted by `routes.mount`)."""
        return list(self._routes)

    @cached_property
    def _jobs(self) -> list[tuple[str, PeriodicJob]]:
        jobs = []
        for plugin, declared in self._startup_results("imm_graph_jobs"):
            for job in declared:
                if not isinstance(job, PeriodicJob):
                    raise PluginLoadError(plugin, "imm_graph_jobs must return PeriodicJob entries")
                jobs.append((plugin, job))
        return jobs

    def jobs(self) -> list[tuple[str, PeriodicJob]]:
        """(plug-in, job) for every periodic job the active plug-ins declare."""
        return list(self._jobs)

    def extend_cli(self, app: Any) -> None:
        """Let each active plug-in add its commands to the ``imm-graph`` Typer app."""
        for hook in self.hook_callers("imm_graph_cli"):
            _call_at_startup(hook, app=app)

    def actor_hooks(self) -> list[Callable[[Mapping[str, str]], Awaitable[Any]]]:
        """The plug-ins' ``imm_graph_actor_from_request``, as callables for the gateway."""
        return [
            lambda headers, hook=hook: hook.call_async(headers=headers)
            for hook in self.hook_callers("imm_graph_actor_from_request")
        ]

    async def lifespan(self, app: Any, stack: AsyncExitStack) -> None:
        """Enter every plug-in's lifespan context on ``stack`` (exited in reverse order)."""
        for hook in self.hook_callers("imm_graph_lifespan"):
            try:
                context = hook.call(app=app)
                if context is not None:
                    await stack.enter_async_context(context)
            except Exception as exc:
                message = f"failed at start-up: {error_text(exc)}"
                raise PluginLoadError(hook.plugin, message) from None

    async def health(self, db: Any) -> dict[str, dict[str, Any]]:
        """Each plug-in's part of ``/health``; one that fails or hangs is ``down``."""
        reports: dict[str, dict[str, Any]] = {}
        for hook in self.hook_callers("imm_graph_health"):
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                    report = await hook.call_async(db=db)
                reports[hook.plugin] = dict(report or {"status": "ok"})
            except Exception as exc:
                reports[hook.plugin] = {"status": "down", "error": type(exc).__name__}
        return reports

    async def collect(
        self, topic: str, params: Mapping[str, Any], session: Any
    ) -> list[tuple[str, Any]]:
        """(plug-in, data) from every plug-in that contributes to ``topic``."""
        found = []
        for hook in self.hook_callers("imm_graph_contribute"):
            try:
                data = await hook.call_async(topic=topic, params=params, session=session)
            except Exception as exc:
                raise PluginError(hook.plugin, f"failed to contribute to {topic}: "
                                  f"{error_text(exc)}") from exc
            if data is not None:
                found.append((hook.plugin, data))
        return found

    async def outbound_credentials(
        self, request: OutboundRequest, db: Any = None
    ) -> dict[str, str]:
        """Headers from the delivering plug-in's ``imm_graph_outbound_credentials``."""
        hook = self.implementation(request.plugin, "imm_graph_outbound_credentials")
        if hook is None:
            raise LookupError(f"plug-in {request.plugin!r} provides no outbound credentials")
        return dict(await hook.call_async(request=request, db=db) or {})

    async def delivery_result(self, result: contract.DeliveryResult, session: Any) -> None:
        """Tell the delivering plug-in how a delivery ended (its failure is only logged)."""
        hook = self.implementation(result.plugin, "imm_graph_delivery_result")
        if hook is None:
            return
        try:
            async with session.begin_nested():
                await hook.call_async(result=result, session=session)
        except Exception as exc:
            log.warning("plugin.delivery_result_failed", plugin=result.plugin,
                        delivery_id=result.delivery_id, error=error_text(exc))


# --- helpers --------------------------------------------------------------------------------


def _qualname(obj: object) -> str:
    return getattr(obj, "__name__", None) or type(obj).__qualname__


def _ranked(names: Sequence[str], order: Sequence[str]) -> list[str]:
    first = [n for n in dict.fromkeys(order) if n in names]
    return first + sorted(n for n in names if n not in first)


def _import(candidate: _Candidate) -> object:
    try:
        obj = candidate.load()
    except Exception as exc:  # the plug-in's import-time code
        raise PluginLoadError(
            candidate.name, f"cannot import {candidate.module}: {error_text(exc)}"
        ) from None
    # An entry point may name a class whose methods are the hook implementations.
    return obj() if inspect.isclass(obj) else obj


def _call_at_startup(hook: PluginHook, **kwargs: Any) -> Any:
    try:
        return hook.call(**kwargs)
    except PluginError:
        raise
    except Exception as exc:
        raise PluginLoadError(hook.plugin, f"failed at start-up: {error_text(exc)}") from None


def _is_hookimpl(function: object) -> bool:
    return hasattr(function, f"{PROJECT}_impl")


def installed_plugins(settings: PluginSettings | None = None) -> list[tuple[str, object]]:
    """Every installed plug-in, imported, enabled or not (for migrations).

    A plug-in that fails to import stops this if it is enabled (its tables or revisions would
    be missing) and is skipped with a warning if disabled.
    """
    settings = settings or PluginSettings()
    found = []
    for candidate in discover():
        try:
            found.append((candidate.name, _import(candidate)))
        except PluginLoadError as exc:
            if settings.wants(candidate.name):
                raise
            log.warning("plugins.import_skipped", plugin=candidate.name, error=str(exc))
    return found


def import_plugin_models(settings: PluginSettings | None = None) -> list[str]:
    """Register every installed plug-in's tables on ``Base.metadata``; the names asked."""
    asked = []
    for name, obj in installed_plugins(settings):
        hook = getattr(obj, "imm_graph_models", None)
        if callable(hook) and _is_hookimpl(hook):
            hook()
            asked.append(name)
    return asked


def plugin_migration_dirs(settings: PluginSettings | None = None) -> dict[str, Path]:
    """Every installed plug-in's Alembic revisions folder, by plug-in name (its branch)."""
    dirs = {}
    for name, obj in installed_plugins(settings):
        hook = getattr(obj, "imm_graph_migrations", None)
        if callable(hook) and _is_hookimpl(hook):
            found = hook()
            if found is not None:
                dirs[name] = Path(found)
    return dirs

"""The plug-in manager: discovery, settings, explicit order and isolation.

Built once at start-up (:meth:`PluginManager.load`). Plug-ins come from two places:

- built-in: each sub-package of the top-level ``plugins`` package (none is required; a missing
  or empty package means no built-ins), named after its folder;
- third-party: the ``imm_graph.plugins`` entry-point group, named after the entry point.

Settings (env prefix ``IMM_PLUGINS_``) decide which are enabled and in what order. Order is
explicit because pluggy calls implementations last-registered-first and entry points come in
no defined order; the manager calls each plug-in's implementation itself, in that order, so
one plug-in's failure can be isolated from the others (see :mod:`imm_graph.events`).

Each plug-in's own settings (``imm_graph_config_schema``) are read from environment variables
``IMM_PLUGIN_<NAME>_<FIELD>`` and an optional TOML/JSON file, and validated at start-up: a bad
value stops start-up with an error naming the plug-in and the field, never the value.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import pkgutil
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pluggy
import pydantic
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from starlette.routing import BaseRoute, Mount

from imm_graph import hookspecs
from imm_graph.plugin_api import SchemaContribution
from imm_graph.retry import error_text

if TYPE_CHECKING:
    import typer
    from pluggy import HookImpl
    from sqlalchemy.ext.asyncio import AsyncSession

    from imm_graph.events import DomainEvent, EventDispatcher

ENTRY_POINT_GROUP = "imm_graph.plugins"
PROJECT = "imm_graph"
Source = Literal["builtin", "entry-point", "extra"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _log() -> Any:
    from imm_graph.logging import get_logger

    return get_logger(__name__)


class PluginSettings(BaseSettings):
    """Which plug-ins run, in what order (env prefix ``IMM_PLUGINS_``; comma-separated lists)."""

    model_config = SettingsConfigDict(env_prefix="IMM_PLUGINS_", env_file=".env", extra="ignore")

    enabled: Annotated[list[str], NoDecode] = ["*"]  # "*" = every installed plug-in
    disabled: Annotated[list[str], NoDecode] = []  # wins over ``enabled``
    order: Annotated[list[str], NoDecode] = []  # called first, in this order; others by name
    config_file: Path | None = None  # TOML or JSON: one table per plug-in name
    builtin_package: str = "plugins"

    @field_validator("enabled", "disabled", "order", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def wants(self, name: str) -> bool:
        return name not in self.disabled and ("*" in self.enabled or name in self.enabled)


class PluginError(Exception):
    """A plug-in cannot be loaded as configured; start-up stops with this message."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plug-in {plugin!r}: {message}")


class PluginLoadError(PluginError):
    """The plug-in could not be found, imported or registered, or broke the hook contract."""


class SettingsFileError(PluginError):
    """The plug-in settings file (``IMM_PLUGINS_CONFIG_FILE``) cannot be read."""

    def __init__(self, message: str) -> None:
        self.plugin = "*"
        Exception.__init__(self, message)


@dataclass(frozen=True)
class SettingProblem:
    field: str  # dotted path inside the plug-in's settings model
    code: str  # pydantic's error type, e.g. "missing", "string_too_short"
    message: str  # never contains the offending value
    env: str | None  # the environment variable that sets the field


class PluginConfigError(PluginError):
    """The plug-in's settings are missing or invalid. Lists every problem, without values."""

    def __init__(self, plugin: str, problems: Sequence[SettingProblem]) -> None:
        self.problems = list(problems)
        lines = "".join(
            f"\n  - {p.field}" + (f" ({p.env})" if p.env else "") + f": {p.message} [{p.code}]"
            for p in self.problems
        )
        super().__init__(plugin, f"invalid settings:{lines}")


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
    impl: HookImpl
    config: pydantic.BaseModel | None

    def call(self, **kwargs: Any) -> Any:
        """Call with the hook's arguments; ``config`` is this plug-in's own settings."""
        kwargs.setdefault("config", self.config)
        return self.impl.function(*(kwargs[name] for name in self.impl.argnames))


@dataclass(frozen=True)
class _Candidate:
    name: str
    source: Source
    module: str
    version: str | None
    load: Callable[[], object] = field(compare=False)


def env_prefix(plugin: str) -> str:
    return "IMM_PLUGIN_" + re.sub(r"[^A-Za-z0-9]", "_", plugin).upper() + "_"


def discover(settings: PluginSettings | None = None) -> list[_Candidate]:
    """Find installed plug-ins without importing them (importing is for enabled ones only)."""
    settings = settings or PluginSettings()
    found: list[_Candidate] = []
    core_version = _version("imm-graph")
    package = settings.builtin_package
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        modules = pkgutil.iter_modules(spec.submodule_search_locations)
        for module in sorted(modules, key=lambda m: m.name):
            if module.name.startswith("_"):
                continue
            dotted = f"{package}.{module.name}"
            found.append(
                _Candidate(module.name, "builtin", dotted, core_version, _importer(dotted))
            )
    seen: set[tuple[str, str]] = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, ep.value) in seen:  # one distribution reachable through two sys.path entries
            continue
        seen.add((ep.name, ep.value))
        version = ep.dist.version if ep.dist is not None else None
        found.append(_Candidate(ep.name, "entry-point", ep.value, version, ep.load))
    return found


def _importer(dotted: str) -> Callable[[], object]:
    return lambda: importlib.import_module(dotted)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


class PluginManager:
    """The plug-ins of one running process: ask it for routes, schema parts, events and CLI."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(hookspecs)
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

        ``strict`` (the app and the worker) raises the first :class:`PluginError`; non-strict
        (``imm-graph plugins``) records it on the plug-in's info and leaves that plug-in out, so
        an operator can see every plug-in's state. ``extra`` registers plug-in objects directly
        (embedding, tests); ``environ`` replaces ``os.environ`` for plug-in settings.
        """
        settings = settings or PluginSettings()
        environ = os.environ if environ is None else environ
        manager = cls()
        candidates = discover(settings) + [
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
        file_data = _read_config_file(settings.config_file)
        for name in ranked:
            if manager._infos[name].active:
                manager._guard(
                    strict, name,
                    lambda n=name: manager._configure(n, environ, file_data.get(n, {}), candidates),
                )
        manager._active = [n for n in ranked if manager._infos[n].active]
        for hook in manager.hook_callers("imm_graph_models"):
            manager._guard(strict, hook.plugin, hook.call)
        manager._active = [n for n in ranked if manager._infos[n].active]
        return manager

    def _usable(
        self, settings: PluginSettings, candidates: Sequence[_Candidate], strict: bool
    ) -> list[_Candidate]:
        """Drop candidates that cannot be told apart; fail if one of them was asked for."""
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
            _log().warning("plugins.skipped", plugin=candidate.name, error=problem)
        names = [c.name for c in usable]
        missing = [n for n in settings.enabled if n != "*" and n not in names]
        if missing and strict:
            raise PluginLoadError(missing[0], "enabled in IMM_PLUGINS_ENABLED but not installed")
        for name in missing + [n for n in settings.disabled + settings.order if n not in names]:
            _log().warning("plugins.unknown_name_in_settings", plugin=name)
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
        _log().warning("plugins.disabled_by_error", plugin=name, error=str(error))
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
        raw = _raw_settings(name, model, environ, file_values, others)
        self._configs[name] = _validate_settings(name, model, raw)

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

    @cached_property
    def _schema_contributions(self) -> list[SchemaContribution]:
        contributions: list[SchemaContribution] = []
        for hook in self.hook_callers("imm_graph_schema"):
            result = _call_at_startup(hook)
            if result is None:
                continue
            if not isinstance(result, SchemaContribution):
                raise PluginLoadError(hook.plugin, "imm_graph_schema must return a contribution")
            contributions.append(replace(result, plugin=hook.plugin))
        return contributions

    def schema_contributions(self) -> list[SchemaContribution]:
        """Every active plug-in's GraphQL additions, in order (computed once)."""
        return list(self._schema_contributions)

    @cached_property
    def _routes(self) -> list[Mount]:
        mounts: list[Mount] = []
        for hook in self.hook_callers("imm_graph_routes"):
            routes = _call_at_startup(hook)
            if not routes:
                continue
            if not all(isinstance(r, BaseRoute) for r in routes):
                raise PluginLoadError(hook.plugin, "imm_graph_routes must return Starlette routes")
            mounts.append(Mount(f"/plugins/{hook.plugin}", routes=list(routes), name=hook.plugin))
        return mounts

    def routes(self) -> list[Mount]:
        """One ``Mount("/plugins/<name>")`` per plug-in with routes, ready for the app."""
        return list(self._routes)

    def extend_cli(self, app: typer.Typer) -> None:
        """Let each active plug-in add its commands to the ``imm-graph`` Typer app."""
        for hook in self.hook_callers("imm_graph_cli"):
            _call_at_startup(hook, app=app)

    def event_dispatcher(self, **kwargs: Any) -> EventDispatcher:
        """The event sink for ``Database(event_sink=...)`` (kwargs: ``policy``, ``clock``)."""
        from imm_graph.events import EventDispatcher

        return EventDispatcher(self, **kwargs)

    async def dispatch_event(self, session: AsyncSession, event: DomainEvent) -> list[str]:
        """Hand an already-recorded event to every plug-in, isolated; return the failed ones."""
        return await self.event_dispatcher().dispatch(session, event)


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


def _read_config_file(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        # Parser messages give a line and column, not the content.
        raise SettingsFileError(f"cannot read settings file {path}: {error_text(exc)}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SettingsFileError(f"settings file {path} must hold one table per plug-in name")
    return data


def _raw_settings(
    name: str,
    model: type[pydantic.BaseModel],
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
    other_prefixes: Sequence[str],
) -> dict[str, Any]:
    raw = dict(file_values)
    prefix = env_prefix(name)
    used: set[str] = set()
    for field_name, info in model.model_fields.items():
        key = info.alias or field_name
        for spelling in dict.fromkeys((field_name, key)):
            env = prefix + spelling.upper()
            if env in environ:
                raw[key] = _env_value(environ[env])
                used.add(env)
    for env in environ:
        longer = any(p.startswith(prefix) and env.startswith(p) for p in other_prefixes)
        if env.startswith(prefix) and env not in used and not longer:
            _log().warning("plugins.unknown_setting", plugin=name, variable=env)
    return raw


def _env_value(value: str) -> Any:
    # Lists and tables come as JSON; everything else stays a string for pydantic to coerce.
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _validate_settings(
    name: str, model: type[pydantic.BaseModel], raw: Mapping[str, Any]
) -> pydantic.BaseModel:
    problems: list[SettingProblem] = []
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        details = exc.errors(include_input=False, include_context=False, include_url=False)
        problems = [_problem(name, model, detail, raw) for detail in details]
    # Raised outside the except block on purpose: the pydantic error, whose text quotes the
    # input (secrets included), must not ride along as __context__ into logs or tracebacks.
    raise PluginConfigError(name, problems)


def _problem(
    name: str, model: type[pydantic.BaseModel], detail: Any, raw: Mapping[str, Any]
) -> SettingProblem:
    loc = [str(part) for part in detail["loc"]]
    top = loc[0] if loc else ""
    field_name = next(
        (f for f, info in model.model_fields.items() if top in (f, info.alias)), None
    )
    message = str(detail["msg"])
    for value in _strings(raw):
        if len(value) >= 4:
            message = message.replace(value, "[redacted]")
    return SettingProblem(
        field=".".join(loc) or "<settings>",
        code=str(detail["type"]),
        message=message,
        env=env_prefix(name) + field_name.upper() if field_name else None,
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def import_plugin_models(settings: PluginSettings | None = None) -> list[str]:
    """Register every installed plug-in's tables on ``Base.metadata``, enabled or not.

    For migrations: a disabled plug-in's tables must not look like tables to drop. A plug-in
    that fails to import stops this if enabled (its tables would be missing) and is skipped
    with a warning if disabled. Returns the names of the plug-ins asked.
    """
    settings = settings or PluginSettings()
    asked: list[str] = []
    for candidate in discover(settings):
        try:
            obj = _import(candidate)
        except PluginLoadError as exc:
            if settings.wants(candidate.name):
                raise
            _log().warning("plugins.models_skipped", plugin=candidate.name, error=str(exc))
            continue
        hook = getattr(obj, "imm_graph_models", None)
        if callable(hook) and _is_hookimpl(hook):
            hook()
            asked.append(candidate.name)
    return asked


def _is_hookimpl(function: object) -> bool:
    return hasattr(function, f"{PROJECT}_impl")

"""Plug-in settings: which plug-ins run and in what order, and each plug-in's own settings.

Which plug-ins run comes from ``IMM_PLUGINS_*`` (comma-separated lists). Each plug-in's own
settings (``imm_graph_config_schema``) come from environment variables
``IMM_PLUGIN_<NAME>_<FIELD>`` on top of an optional TOML/JSON file with one table per plug-in,
and are validated at start-up: a bad value stops start-up with an error naming the plug-in and
the field, never the value (settings hold secrets: webhook secrets, API tokens).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from imm_graph.logging import get_logger
from imm_graph.retry import error_text

log = get_logger(__name__)


class PluginSettings(BaseSettings):
    """Which plug-ins run, in what order (env prefix ``IMM_PLUGINS_``; comma-separated lists)."""

    model_config = SettingsConfigDict(env_prefix="IMM_PLUGINS_", env_file=".env", extra="ignore")

    enabled: Annotated[list[str], NoDecode] = ["*"]  # "*" = every installed plug-in
    disabled: Annotated[list[str], NoDecode] = []  # wins over ``enabled``; "*" disables all
    order: Annotated[list[str], NoDecode] = []  # called first, in this order; others by name
    config_file: Path | None = None  # TOML or JSON: one table per plug-in name

    @field_validator("enabled", "disabled", "order", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def wants(self, name: str) -> bool:
        if name in self.disabled or "*" in self.disabled:
            return False
        return "*" in self.enabled or name in self.enabled


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


def env_prefix(plugin: str) -> str:
    return "IMM_PLUGIN_" + re.sub(r"[^A-Za-z0-9]", "_", plugin).upper() + "_"


def read_config_file(path: Path | None) -> dict[str, dict[str, Any]]:
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


def raw_settings(
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
            log.warning("plugins.unknown_setting", plugin=name, variable=env)
    return raw


def _env_value(value: str) -> Any:
    # Lists and tables come as JSON; everything else stays a string for pydantic to coerce.
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def validate_settings(
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

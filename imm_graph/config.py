"""Settings, read once from the environment (prefix ``IMM_``) or a ``.env`` file.

The default database is a SQLite file in the working directory so that a new user needs nothing
installed; production points ``IMM_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# What anonymous callers may read unless IMM_PUBLIC_FIELDS says otherwise ("Type.field" or
# "Type.*", GraphQL names). Root fields are listed as "Query.<field>".
DEFAULT_PUBLIC_FIELDS = (
    "Query.node", "Query.nodes", "Query.hubs", "Query.programmes", "Query.clinicalCohorts",
    "Query.stakeholderKinds",
    "Hub.name", "Hub.area", "Hub.schedule", "Hub.status", "Hub.programme", "Hub.cohorts",
    "Programme.code", "Programme.name", "Programme.arm", "Programme.description", "Programme.hubs",
    "ClinicalCohort.*", "StakeholderKind.*",
)

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./imm_graph.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    environment: Literal["development", "production", "test"] = "development"
    log_json: bool | None = Field(
        default=None, description="JSON log lines; defaults to on in production"
    )
    log_level: str = "INFO"
    graphiql: bool | None = Field(
        default=None, description="Serve GraphiQL at /graphql; defaults to on outside production"
    )
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    max_query_depth: int = Field(default=10, ge=1)
    max_query_tokens: int = Field(default=2000, ge=10)
    max_query_aliases: int = Field(default=30, ge=1)
    mask_errors: bool | None = Field(
        default=None, description="Hide internal error messages; defaults to on in production"
    )
    sql_echo: bool = False
    in_process_worker: bool = Field(
        default=False,
        description="Run the outbox worker inside the server process (else: imm-graph worker)",
    )
    gc_tuning: bool = Field(
        default=True,
        description="Once started, freeze the start-up heap out of garbage collection and "
        "collect less often (imm_graph/gc_tuning.py)",
    )
    sql_compiler: bool = Field(
        default=True,
        description="Answer compilable read queries with one SQL statement (PostgreSQL only)",
    )

    # --- partner access and security (README: "Partner access and security") ---
    secret_key: SecretStr | None = Field(
        default=None,
        description="Server secret: the pepper of API key hashes and the NHS number blind index. "
        "Required in production; development and tests derive a fixed, insecure one.",
    )
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="Keys for personal data (`imm-graph keys new-encryption-key`), "
        "comma-separated: the first encrypts, all decrypt (rotation). Required in production.",
    )
    public_fields: CommaList = Field(default_factory=lambda: list(DEFAULT_PUBLIC_FIELDS))
    private_fields: CommaList = Field(
        default_factory=list, description="Fields never public, even if a plug-in marks them so."
    )
    max_query_cost: int = Field(
        default=250_000, ge=1, description="Most objects one query may return (API keys)."
    )
    anonymous_max_query_cost: int = Field(
        default=20_000, ge=1, description="Most objects one anonymous query may return."
    )
    rate_limit_per_minute: int = Field(default=600, ge=1, description="Per API key.")
    anonymous_rate_limit_per_minute: int = Field(default=60, ge=1, description="Per client IP.")
    cors_origins: CommaList = Field(default_factory=list)
    api_key_touch_seconds: int = Field(
        default=60, ge=0, description="Write an API key's last_used_at at most this often."
    )
    hsts_seconds: int = Field(default=31_536_000, ge=0)
    api_key_cache_seconds: float = Field(
        default=10, ge=0,
        description="Remember a verified API key this long; a revoked key keeps working on a "
        "worker that verified it for at most this long (0: look it up on every request).",
    )
    auth_failures_per_minute: int = Field(
        default=10, ge=1, description="Failed authentications allowed per client IP."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 beyond)."
    )
    request_budget_seconds: float = Field(
        default=10, gt=0,
        description="Wall-clock budget of one GraphQL request: validation and execution are "
        "stopped past it, and PostgreSQL cancels statements that run longer.",
    )

    @field_validator("public_fields", "private_fields", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Environment variables hold comma-separated lists; JSON lists are accepted too.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Plain URLs are a common copy-paste from hosting dashboards; map them to async drivers.
        if value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        elif value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    @property
    def errors_masked(self) -> bool:
        return self.is_production if self.mask_errors is None else self.mask_errors

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json

    def missing_production_secrets(self) -> list[str]:
        """Names (never values) of the secrets production refuses to start without."""
        if not self.is_production:
            return []
        missing = []
        if self.secret_key is None or not self.secret_key.get_secret_value().strip():
            missing.append("IMM_SECRET_KEY")
        if self.encryption_keys is None or not self.encryption_keys.get_secret_value().strip():
            missing.append("IMM_ENCRYPTION_KEYS")
        return missing


@lru_cache
def get_settings() -> Settings:
    return Settings()

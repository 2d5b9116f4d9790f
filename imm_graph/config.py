"""Settings, read once from the environment (prefix ``IMM_``) or a ``.env`` file.

The default database is a SQLite file in the working directory so that a new user needs nothing
installed; production points ``IMM_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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


@lru_cache
def get_settings() -> Settings:
    return Settings()

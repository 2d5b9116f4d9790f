"""The plug-in's settings: validated at start-up, read from IMM_PLUGIN_EXAMPLE_<FIELD>."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr


class ExampleSettings(BaseModel):
    # Unknown keys in the settings file are an error, not silently ignored typos.
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint_url: HttpUrl = Field(description="Where the partner receives our notifications")
    # SecretStr: printed as '**********' if it ever reaches a log line or a repr.
    webhook_secret: SecretStr = Field(min_length=16, description="Signs what we send")
    inbound_secrets: list[SecretStr] = Field(
        default_factory=list, description="What the partner signs with (two during a rotation)"
    )
    partner_token: SecretStr | None = Field(
        default=None, description="A partner's own token header, recognised without an API key"
    )
    notify_on: list[str] = Field(default=["session.recorded"], description="Event names to send")

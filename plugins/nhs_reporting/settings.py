"""The plug-in's settings, from IMM_PLUGIN_NHS_REPORTING_<FIELD> (all optional)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class NhsReportingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    within_days: int = Field(
        default=14, ge=1, le=365,
        description="Target days from a referral's receipt to a decision and to a first "
                    "attendance (the referrals section reports the share within it)")
    submission_secret: SecretStr | None = Field(
        default=None, min_length=16,
        description="Signs submissions POSTed to commissioners' endpoints (Standard Webhooks); "
                    "unset: sent unsigned")
    draft_when_period_closes: bool = Field(
        default=True,
        description="The worker drafts every commissioner's return for a quarter once it ends")

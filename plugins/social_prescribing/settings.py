"""The plug-in's settings, read from ``IMM_PLUGIN_SOCIAL_PRESCRIBING_<FIELD>``.

Every field has a default, so the plug-in runs out of the box (platforms and their secrets are
registered with the CLI and kept, encrypted, in the database, not in settings).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SocialPrescribingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    overdue_days: int = Field(
        default=14, ge=1, le=365,
        description="Days without a decision before a referral is flagged overdue (Joy declines "
        "unanswered referrals after two weeks)",
    )
    receiver_code: str = Field(
        default="IMM", min_length=1, max_length=40,
        description="The identifier a FHIR MessageHeader.destination.receiver must carry: the "
        "referral is for IMM",
    )
    overdue_check_minutes: int = Field(
        default=60, ge=1, description="How often the worker looks for overdue referrals"
    )
    group_commit: bool = Field(
        default=True,
        description="Write new referrals that arrive together in one transaction (each still "
        "answered once committed); false: one transaction per request",
    )
    group_commit_max: int = Field(
        default=64, ge=1, le=1000, description="The most referrals one shared transaction holds",
    )

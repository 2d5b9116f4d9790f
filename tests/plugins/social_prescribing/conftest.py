"""Fixtures for the social_prescribing tests: the real app (the plug-in is built in and enabled
by default), a registered platform whose callbacks reach a real local HTTP server, and helpers
to sign requests as a platform does and to count what was stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.db import Database
from imm_graph.pluginhost.signing import signature_headers
from plugins.social_prescribing import platforms
from plugins.social_prescribing.models import (
    SocialPrescribingPlatform,
    SocialPrescribingReferral,
    SocialPrescribingReferralChange,
)
from tests import builders
from tests.http_receiver import Receiver

EXAMPLES = Path(__file__).resolve().parents[3] / "plugins" / "social_prescribing" / "examples"
BUNDLE = (EXAMPLES / "referral-bundle.json").read_bytes()
NATIVE = (EXAMPLES / "referral-native.json").read_bytes()
SECRET = "whsec_" + "c29jaWFsLXByZXNjcmliaW5nLXRlc3Qtc2VjcmV0IQ=="
FHIR_SECRET = "whsec_" + "YW5vdGhlci1wbGF0Zm9ybS1zZW5kcy1maGlyLTEyMzQ="


@pytest.fixture
def partner() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
async def platform(db: Database, partner: Receiver) -> SocialPrescribingPlatform:
    """"Elemental-like": sends native JSON, wants native status updates at ``partner``."""
    async with db.transaction() as session:
        made, _ = await platforms.add(session, "link-platform", callback_url=partner.url,
                                      secret=SECRET)
        await platforms.add(session, "fhir-platform", callback_url=partner.url + "/fhir",
                            format="fhir", secret=FHIR_SECRET)
    return made


@pytest.fixture
async def hub(db: Database) -> int:
    """A Hounslow hub whose catchment holds TW3 (the example bundle's person)."""
    async with db.transaction() as session:
        org = await builders.organisation(session)
        made = await builders.hub(session, org.id)
        await session.execute(m.hub_catchments.insert().values(
            hub_id=made.id, postcode_district="TW3"))
        return int(made.id)


def signed(body: bytes, *, secret: str = SECRET, message_id: str = "msg_1", skew: int = 0,
           fhir: bool = False) -> dict[str, str]:
    """The headers a platform sends (Standard Webhooks)."""
    return {**signature_headers(secret, message_id, int(time.time()) + skew, body),
            "content-type": "application/fhir+json" if fhir else "application/json"}


async def counts(db: Database) -> dict[str, int]:
    """Rows that a refused request must leave unchanged."""
    tables = {"referrals": SocialPrescribingReferral, "changes": SocialPrescribingReferralChange,
              "participants": m.Participant, "deliveries": m.OutboxDelivery,
              "receipts": m.WebhookReceipt}
    async with db.sessions() as session:
        return {name: int(await session.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for name, t in tables.items()}

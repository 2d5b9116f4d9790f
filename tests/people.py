"""Fictional referred participants, with identifiable data distinctive enough to search for.

Tests that check personal data never reaches the raw database rows, the logs or the audit log
look for exactly these strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests import builders

MARGARET: dict[str, Any] = {
    "given_name": "Margarethe",
    "family_name": "Oyelaran-Whitcombe",
    "nhs_number": "943 476 5919",
    "date_of_birth": dt.date(1941, 3, 17),
    "email": "m.oyelaran.whitcombe@example.org",
    "phone": "020 7946 0321",
    "address": "14 Larkspur Crescent, Enfield",
    "postcode": "en2 6pg",
}
DESMOND: dict[str, Any] = {
    "given_name": "Desmondo",
    "family_name": "Quarshie-Fairweather",
    "nhs_number": "401-023-2137",
    "date_of_birth": dt.date(1938, 11, 2),
    "email": "desmond.qf@example.net",
    "phone": "+44 20 7946 0999",
    "address": "Flat 3, 27 Bell Road, Hounslow",
    "postcode": "TW3 1ES",
}


def searchable(person: dict[str, Any]) -> list[str]:
    """Every form in which the person's data could leak: as given and as normalised."""
    values = [str(v) for v in person.values()]
    digits = person["nhs_number"].replace(" ", "").replace("-", "")
    return [*values, digits, person["postcode"].upper(), person["date_of_birth"].isoformat()]


async def referred(session: AsyncSession, ref: str, person: dict[str, Any]) -> Any:
    """A participant whose identifiable data came with a referral."""
    return await builders.participant(session, ref=ref, **person)

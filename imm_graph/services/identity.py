"""Finding participants by an identifier without decrypting every row."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from imm_graph import models as m
from imm_graph.crypto import blind_index
from imm_graph.validators import validate_nhs_number


async def participant_ids_by_nhs_number(session: AsyncSession, nhs_number: str) -> list[int]:
    """Participants recorded with this NHS number (normally none or one), via the blind index.

    Raises ValidationError for a malformed number: matching a typo would find nobody anyway.
    """
    digest = blind_index(validate_nhs_number(nhs_number))
    query = sa.select(m.Participant.id).where(m.Participant.nhs_number_index == digest)
    return list(await session.scalars(query.order_by(m.Participant.id)))

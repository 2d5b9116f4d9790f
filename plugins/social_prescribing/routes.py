"""``POST /plugins/social_prescribing/referrals``: the signed webhook door.

Signature (Standard Webhooks, a platform's secret) → validation (`intake.parse`, the same as the
GraphQL door) → one transaction with the webhook receipt (`once`): the referral, its person, its
history, its event and its queued status update. Errors are problem+json for native JSON and an
``OperationOutcome`` for FHIR; nothing is stored for a refused request, and no error is a 500.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from imm_graph.plugin_api import (
    Answer,
    Database,
    FieldError,
    IdempotencyConflict,
    Principal,
    SignatureProblem,
    ValidationError,
    once,
    problem,
    utcnow,
)
from plugins.social_prescribing import bulk, intake, service
from plugins.social_prescribing.platforms import signed_by

NAME = service.NAME
FHIR_JSON = "application/fhir+json"
log = structlog.get_logger("social_prescribing")

# FHIR issue types (http://hl7.org/fhir/issue-type) for our error codes.
ISSUE_TYPE = {
    "invalid_json": "structure", "fhir_structure": "structure",
    "unknown_resource_type": "not-supported", "not_a_message": "structure",
    "required": "required", "code_invalid": "code-invalid", "dangling_reference": "invalid",
    "wrong_destination": "not-supported", "consent_missing": "business-rule",
    "consent_inactive": "business-rule", "consent_ambiguous": "business-rule",
    "birth_date_future": "business-rule", "nhs_number_format": "value",
    "nhs_number_checksum": "value", "ods_code_format": "value", "postcode_format": "value",
    "unknown_cohort": "code-invalid", "not_found": "not-found", "too_long": "too-long",
    "invalid_date": "value", "bad_signature": "security", "missing_headers": "security",
    "stale_timestamp": "security", "future_timestamp": "security", "bad_timestamp": "security",
    "duplicate": "duplicate", "idempotency_conflict": "conflict", "unsupported_media_type":
    "not-supported", "internal": "exception",
}


def operation_outcome(errors: list[FieldError]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error", "code": ISSUE_TYPE.get(e.code, "invalid"),
            "details": {"coding": [{
                "system": f"{service.IMM_SYSTEM}/CodeSystem/referral-error", "code": e.code,
            }], "text": e.message},
            "expression": [e.field] if e.field else [],
        } for e in errors],
    }


def refusal(fhir: bool, status: int, title: str, errors: list[FieldError]) -> Response:
    """One error answer in the caller's format."""
    if fhir:
        return JSONResponse(operation_outcome(errors), status_code=status, media_type=FHIR_JSON)
    first = errors[0]
    return problem(status, title, first.message, code=first.code,
                   errors=[{"code": e.code, "field": e.field, "message": e.message}
                           for e in errors])


def _answer_bytes(fhir: bool, status: int, title: str, errors: list[FieldError]) -> Answer:
    response = refusal(fhir, status, title, errors)
    return Answer(status, bytes(response.body), response.media_type or "application/json")


class _Refused(Exception):
    """Raised inside `once` so the transaction (and the receipt) roll back."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("refused")
        self.errors = errors


async def receive(request: Request) -> Response:
    """The route: whatever goes wrong inside, the platform gets an answer it can act on."""
    fhir = intake.is_fhir(request.headers.get("content-type", ""))
    try:
        return await _receive(request)
    except Exception as exc:  # never a 500 with a stack trace; nothing was stored
        log.error("referral intake failed", error=type(exc).__name__)
        return refusal(fhir, 503, "Service Unavailable", [FieldError(
            "internal", "", "the referral could not be stored now; retry with the same "
            "webhook-id")])


async def _receive(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    fhir = intake.is_fhir(content_type)
    if not fhir and not content_type.lower().startswith("application/json"):
        return refusal(False, 415, "Unsupported Media Type", [FieldError(
            "unsupported_media_type", "content-type",
            "send application/json (native) or application/fhir+json (FHIR)")])
    db = request.app.state.db
    config = request.app.state.plugins.config_for(NAME)
    body = await request.body()
    try:
        signed = await signed_by(db, request.headers, body)
    except SignatureProblem as refused:
        return refusal(fhir, 401, "Unauthorized",
                       [FieldError(refused.code, "webhook-signature", refused.message)])
    platform = signed.platform
    request.state.principal = Principal(via=NAME, name=platform.name)
    now = utcnow()
    try:
        data = intake.parse(body, content_type, now.date(), config.receiver_code)
    except ValidationError as invalid:
        return refusal(fhir, 422, "Invalid referral", invalid.errors)
    item = bulk.Incoming(platform, f"{platform.id}:{signed.key}", body, data, fhir, now)

    async def alone(item: bulk.Incoming) -> Answer:
        return await one(db, item)

    try:
        if config.group_commit and item.bulk_ready:
            answer = await bulk.intake_for(db, alone, config.group_commit_max).submit(item)
        else:
            answer = await one(db, item)
    except IdempotencyConflict as conflict:
        return refusal(fhir, 409, "Conflict", [FieldError(
            "idempotency_conflict", "webhook-id", str(conflict))])
    except _Refused as refused:
        return refusal(fhir, 422, "Invalid referral", refused.errors)
    return Response(answer.body, answer.status_code, media_type=answer.content_type)


async def one(db: Database, item: bulk.Incoming) -> Answer:
    """One referral in its own transaction, with its receipt (`once`): the reference path,
    and the way of every request the bulk path does not take."""

    async def process(session: AsyncSession) -> Answer:
        session.info["actor_label"] = f"{NAME}:{item.platform.name}"
        # No savepoint: a refusal raises out of `once`, which rolls everything back. The
        # platform is the (read-only) snapshot the signature was checked against.
        try:
            referral, created = await service.receive(session, item.platform, item.data,
                                                      item.now)
            document, media = await service.status_document(
                session, referral, item.platform, item.now, "fhir" if item.fhir else "native")
        except ValidationError as invalid:
            raise _Refused(invalid.errors) from None
        return Answer(201 if created else 200, document, media)

    return await once(db, NAME, item.key, item.body, process)

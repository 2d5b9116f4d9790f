"""One validator for both formats: native JSON and IMM's FHIR R4 profile on the BaRS envelope.

Both parsers produce the same `ReferralData`, and every broken rule is a `FieldError` with a
code from `ERROR_CODES`; the webhook and GraphQL doors call the same `parse`, so one invalid
referral gets the same codes and field paths whichever way it arrives. Field paths are the
native JSON's (``patient.nhsNumber``) for native documents and FHIRPath-like
(``Patient.identifier``) for FHIR ones. Messages never repeat personal values.

``fhir.resources`` (R4B models) checks structure only, so the checks it lacks are here: the
codes the profile requires, references resolving inside the bundle, IMM as the destination, one
active Consent, a birth date not in the future, NHS number (Modulus 11), ODS code and postcode.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pydantic
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from imm_graph.plugin_api import (
    FieldError,
    ValidationError,
    validate_nhs_number,
    validate_ods_code,
    validate_postcode,
)

SNOMED = "http://snomed.info/sct"
REFERRAL_CODE = "871731000000106"  # Referral to social prescribing service (procedure)
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
EVENT_SYSTEM = "https://fhir.nhs.uk/CodeSystem/message-events-bars"
REASON_SYSTEM = "https://fhir.nhs.uk/CodeSystem/message-reason-bars"
EVENT_CODE = "servicerequest-request"
COHORT_SYSTEM = "https://intergenerationalmusicmaking.org/CodeSystem/cohort"
GENDERS = frozenset({"male", "female", "other", "unknown"})
ACTIONS = frozenset({"new", "update", "delete"})

# Every code the intake can answer with (documented in the README).
ERROR_CODES = {
    "invalid_json": "the body is not a JSON object",
    "fhir_structure": "the FHIR document breaks the R4 structure (the message names the element)",
    "unknown_resource_type": "an entry's resourceType is not an R4 resource",
    "not_a_message": "the Bundle's type is not message, or its first entry is not a MessageHeader",
    "required": "a required element is missing",
    "code_invalid": "a coded element has a code the profile does not allow",
    "dangling_reference": "a reference (focus, subject, requester, patient) names no entry",
    "wrong_destination": "the message is not addressed to IMM",
    "consent_missing": "no Consent (FHIR) / consent (native) for the referral",
    "consent_inactive": "the Consent is not active",
    "consent_ambiguous": "more than one active Consent",
    "birth_date_future": "the birth date is in the future",
    "invalid_date": "not a date (YYYY-MM-DD)",
    "nhs_number_format": "not 10 ASCII digits",
    "nhs_number_checksum": "the Modulus 11 check digit does not match",
    "ods_code_format": "not an ODS code",
    "postcode_format": "not a UK postcode",
    "unknown_cohort": "not one of IMM's clinical cohort codes",
    "too_long": "longer than the element allows",
}


@dataclass
class ReferralData:
    """A referral as IMM keeps it, whatever format it came in."""

    external_id: str
    action: str  # new | update | delete
    format: str  # native | fhir
    snomed_code: str = REFERRAL_CODE
    authored_on: dt.date | None = None
    nhs_number: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: dt.date | None = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    postcode: str | None = None
    cohorts: list[str] = field(default_factory=list)
    reason: str | None = None
    referrer_ods_code: str | None = None
    referrer_name: str | None = None
    consent_active: bool = True
    cancelled: bool = False  # the referrer revoked it


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.items.append(FieldError(code=code, field=path, message=message))

    def check(self, fn: Any, *args: Any, path: str) -> Any:
        """Run a core validator, recording its error under ``path``."""
        try:
            return fn(*args, field=path)
        except ValidationError as exc:
            self.items.extend(exc.errors)
            return None

    def raise_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)


def _text(value: Any, path: str, errors: _Errors, *, required: bool = False,
          limit: int = 200) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(path, "required", f"{path} is required")
        return None
    if not isinstance(value, str):
        errors.add(path, "code_invalid", f"{path} must be a string")
        return None
    if len(value) > limit:
        errors.add(path, "too_long", f"{path} may be at most {limit} characters")
        return None
    return value.strip()


def _date(value: Any, path: str, errors: _Errors) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(path, "invalid_date", f"{path} must be a date written YYYY-MM-DD")
        return None


def _person_checks(data: ReferralData, paths: Mapping[str, str], errors: _Errors,
                   today: dt.date) -> None:
    """The same rules on the person for both formats, each reported at its own format's path."""
    if data.nhs_number is None:
        if not any(e.field == paths["nhs_number"] for e in errors.items):  # not if unreadable
            errors.add(paths["nhs_number"], "required", "the person's NHS number is required")
    else:
        data.nhs_number = errors.check(validate_nhs_number, data.nhs_number,
                                       path=paths["nhs_number"])
    if data.date_of_birth is not None and data.date_of_birth > today:
        errors.add(paths["date_of_birth"], "birth_date_future",
                   "the birth date may not be in the future")
    if data.gender is not None and data.gender not in GENDERS:
        errors.add(paths["gender"], "code_invalid",
                   f"gender must be one of {', '.join(sorted(GENDERS))}")
    if data.postcode is not None:
        data.postcode = errors.check(validate_postcode, data.postcode, path=paths["postcode"])
    if data.referrer_ods_code is not None:
        data.referrer_ods_code = errors.check(validate_ods_code, data.referrer_ods_code,
                                              path=paths["referrer_ods_code"])
    if data.snomed_code != REFERRAL_CODE:
        errors.add(paths["snomed_code"], "code_invalid",
                   f"the referral's code must be SNOMED CT {REFERRAL_CODE} "
                   "(Referral to social prescribing service)")


# --- native JSON ----------------------------------------------------------------------------

NATIVE_PATHS = {
    "nhs_number": "patient.nhsNumber", "date_of_birth": "patient.birthDate",
    "gender": "patient.gender", "postcode": "patient.postcode",
    "referrer_ods_code": "referrer.odsCode", "snomed_code": "code",
}


def parse_native(document: Any, today: dt.date) -> ReferralData:
    """The native JSON (see the README): camelCase keys, one object per referral."""
    errors = _Errors()
    if not isinstance(document, dict):
        raise ValidationError.single("", "invalid_json", "the referral must be a JSON object")
    action = document.get("action", "new")
    if action == "cancel":
        action = "delete"
    if not isinstance(action, str) or action not in ACTIONS:
        errors.add("action", "code_invalid", "action must be new, update or cancel")
        action = "new"
    patient = document.get("patient")
    if not isinstance(patient, dict):
        errors.add("patient", "required", "patient is required")
        patient = {}
    referrer = document.get("referrer") or {}
    if not isinstance(referrer, dict):
        errors.add("referrer", "code_invalid", "referrer must be an object")
        referrer = {}
    cohorts = document.get("cohorts") or []
    if not isinstance(cohorts, list) or not all(isinstance(c, str) for c in cohorts):
        errors.add("cohorts", "code_invalid", "cohorts must be a list of cohort codes")
        cohorts = []
    data = ReferralData(
        external_id=_text(document.get("referralId"), "referralId", errors, required=True) or "",
        action=str(action), format="native",
        snomed_code=document.get("code", REFERRAL_CODE)
        if isinstance(document.get("code", REFERRAL_CODE), str) else "",
        authored_on=_date(document.get("authoredOn"), "authoredOn", errors),
        nhs_number=_text(patient.get("nhsNumber"), "patient.nhsNumber", errors),
        given_name=_text(patient.get("givenName"), "patient.givenName", errors),
        family_name=_text(patient.get("familyName"), "patient.familyName", errors),
        date_of_birth=_date(patient.get("birthDate"), "patient.birthDate", errors),
        gender=_text(patient.get("gender"), "patient.gender", errors),
        phone=_text(patient.get("phone"), "patient.phone", errors, limit=40),
        email=_text(patient.get("email"), "patient.email", errors),
        postcode=_text(patient.get("postcode"), "patient.postcode", errors, limit=10),
        cohorts=list(cohorts),
        reason=_text(document.get("reason"), "reason", errors, limit=2000),
        referrer_ods_code=_text(referrer.get("odsCode"), "referrer.odsCode", errors, limit=10),
        referrer_name=_text(referrer.get("name"), "referrer.name", errors),
        cancelled=action == "delete",
    )
    consent = document.get("consent")
    if data.action == "new":
        if not isinstance(consent, dict):
            errors.add("consent", "consent_missing",
                       "consent is required: the person agreed to be referred")
        elif consent.get("status") != "active":
            errors.add("consent.status", "consent_inactive",
                       "the person's consent must be active to refer them")
    elif data.action == "update" and isinstance(consent, dict):
        # An update may withdraw consent: the referral is kept, no more updates go back.
        data.consent_active = consent.get("status") == "active"
    if document.get("authoredOn") is None and data.action == "new":  # not when unreadable
        errors.add("authoredOn", "required", "authoredOn is required")
    _person_checks(data, NATIVE_PATHS, errors, today)
    errors.raise_any()
    return data


# --- FHIR -----------------------------------------------------------------------------------

FHIR_PATHS = {
    "nhs_number": "Patient.identifier", "date_of_birth": "Patient.birthDate",
    "gender": "Patient.gender", "postcode": "Patient.address.postalCode",
    "referrer_ods_code": "Organization.identifier", "snomed_code": "ServiceRequest.code",
}


def _loc(loc: tuple[Any, ...]) -> str:
    path = "Bundle"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _codes(concept: Any) -> set[tuple[str | None, str | None]]:
    return {(c.system, c.code) for c in (getattr(concept, "coding", None) or [])}


def _validated_bundle(document: dict[str, Any]) -> Bundle:
    """``Bundle.model_validate(document)``, about a fifth cheaper for a well-formed message.

    The Bundle's own validation finds each entry's model by importing it by name, per entry and
    per request; here each resource is validated by its (cached) model first and the Bundle
    then validates around the models. That is the same checks with the same models, so when
    anything fails the reference validation runs instead and its errors are the answer: an
    invalid referral gets exactly the paths and codes it always got.
    """
    entries = document.get("entry")
    if isinstance(entries, list):
        validated = []
        try:
            for entry in entries:
                resource = entry["resource"]
                model = get_fhir_model_class(resource["resourceType"])
                validated.append({**entry, "resource": model.model_validate(resource)})
            # The Bundle still checks each model is a resource (not, say, a HumanName).
            return Bundle.model_validate({**document, "entry": validated})
        except (KeyError, TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            pass
    return Bundle.model_validate(document)


def parse_fhir(document: Any, today: dt.date, receiver_code: str) -> ReferralData:
    """A BaRS-envelope message Bundle: MessageHeader first, ``focus`` → the ServiceRequest."""
    errors = _Errors()
    if not isinstance(document, dict):
        raise ValidationError.single("Bundle", "invalid_json", "the body must be a FHIR Bundle")
    if document.get("resourceType") != "Bundle":
        raise ValidationError.single("Bundle.resourceType", "not_a_message",
                                     "the body must be a FHIR message Bundle")
    try:
        bundle = _validated_bundle(document)
    except KeyError as exc:
        # fhir.resources raises KeyError for an unknown resourceType: name the entry.
        name = str(exc.args[0] if exc.args else "").removeprefix("R4.").removesuffix("Type")
        index = next((i for i, e in enumerate(document.get("entry") or [])
                      if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                      and e["resource"].get("resourceType") == name), None)
        where = f"Bundle.entry[{index}].resource.resourceType" if index is not None else "Bundle"
        raise ValidationError.single(where, "unknown_resource_type",
                                     f"{name!r} is not a FHIR R4 resource type") from None
    except pydantic.ValidationError as exc:
        raise ValidationError([
            FieldError("fhir_structure", _loc(tuple(e["loc"])), e["msg"])
            for e in exc.errors()[:20]
        ]) from None
    except (TypeError, ValueError) as exc:
        raise ValidationError.single("Bundle", "fhir_structure", str(exc)[:200]) from None

    entries = bundle.entry or []
    by_url: dict[str, Any] = {}
    for entry in entries:
        resource = entry.resource
        if resource is None:
            continue
        if entry.fullUrl:
            by_url[entry.fullUrl] = resource
        if getattr(resource, "id", None):
            by_url[f"{resource.get_resource_type()}/{resource.id}"] = resource

    def resolve(reference: Any, path: str, expected: str) -> Any:
        if reference is None or not reference.reference:
            errors.add(path, "required", f"{path} is required")
            return None
        found = by_url.get(reference.reference)
        if found is None or found.get_resource_type() != expected:
            errors.add(path, "dangling_reference",
                       f"{path} must reference a {expected} entry of this Bundle")
            return None
        return found

    if bundle.type != "message" or not entries or entries[0].resource is None or \
            entries[0].resource.get_resource_type() != "MessageHeader":
        raise ValidationError.single("Bundle.type", "not_a_message",
                                     "a message Bundle whose first entry is a MessageHeader")
    header = entries[0].resource
    # The receiver first checks that it is the destination (as BaRS says).
    addressed = any(
        d.receiver is not None and d.receiver.identifier is not None
        and d.receiver.identifier.value == receiver_code
        for d in (header.destination or [])
    )
    if not addressed:
        raise ValidationError.single(
            "MessageHeader.destination", "wrong_destination",
            f"the message must name IMM ({receiver_code}) as destination receiver")
    event = header.eventCoding
    if event is None or (event.system, event.code) != (EVENT_SYSTEM, EVENT_CODE):
        errors.add("MessageHeader.eventCoding", "code_invalid",
                   f"eventCoding must be {EVENT_SYSTEM}#{EVENT_CODE}")
    action = "new"
    reason_codes = _codes(header.reason)
    if header.reason is not None:
        matched = [code for system, code in reason_codes if system == REASON_SYSTEM]
        if not matched or matched[0] not in ACTIONS:
            errors.add("MessageHeader.reason", "code_invalid",
                       f"reason must be {REASON_SYSTEM}#new, #update or #delete")
        else:
            action = matched[0]
    focus = header.focus or []
    if not focus:
        errors.add("MessageHeader.focus", "required", "focus must reference the ServiceRequest")
        errors.raise_any()
    request = resolve(focus[0], "MessageHeader.focus", "ServiceRequest")
    if request is None:
        errors.raise_any()

    cancelled = action == "delete" or request.status in ("revoked", "entered-in-error")
    if request.intent != "plan":
        errors.add("ServiceRequest.intent", "code_invalid", "ServiceRequest.intent must be plan")
    allowed = {"revoked", "entered-in-error"} if cancelled else {"active"}
    if request.status not in allowed:
        errors.add("ServiceRequest.status", "code_invalid",
                   f"ServiceRequest.status must be {' or '.join(sorted(allowed))}")
    identifier = next((i.value for i in (request.identifier or []) if i.value), None)
    if identifier is None:
        errors.add("ServiceRequest.identifier", "required",
                   "ServiceRequest.identifier is the referral's id and is required")
    snomed = next((code for system, code in _codes(request.code) if system == SNOMED), None)
    if request.authoredOn is None and not cancelled:
        errors.add("ServiceRequest.authoredOn", "required", "ServiceRequest.authoredOn is required")
    patient = resolve(request.subject, "ServiceRequest.subject", "Patient")
    referrer_org = None
    referrer_name = None
    if request.requester is not None:
        target = by_url.get(request.requester.reference or "")
        if target is None:
            errors.add("ServiceRequest.requester", "dangling_reference",
                       "ServiceRequest.requester must reference an entry of this Bundle")
        elif target.get_resource_type() == "Organization":
            referrer_org = target
        elif target.get_resource_type() in ("Practitioner", "PractitionerRole"):
            if target.get_resource_type() == "Practitioner" and target.name:
                referrer_name = target.name[0].text or " ".join(
                    [*(target.name[0].given or []), target.name[0].family or ""]).strip()
            org_ref = getattr(target, "organization", None)
            if org_ref is not None:
                referrer_org = by_url.get(org_ref.reference or "")
    if referrer_org is None:
        referrer_org = next((e.resource for e in entries[1:] if e.resource is not None
                             and e.resource.get_resource_type() == "Organization"), None)
    ods = None
    if referrer_org is not None:
        ods = next((i.value for i in (referrer_org.identifier or [])
                    if i.system == ODS_SYSTEM), None)

    # Consent: exactly one active one (a cancellation needs none).
    consents = [e.resource for e in entries if e.resource is not None
                and e.resource.get_resource_type() == "Consent"]
    active = [c for c in consents if c.status == "active"]
    if action == "update" and consents and not active:
        pass  # an update withdrawing consent: recorded below, no more updates go back
    elif not cancelled:
        if not consents:
            errors.add("Consent", "consent_missing",
                       "the Bundle must hold the person's Consent to the referral")
        elif not active:
            errors.add("Consent.status", "consent_inactive", "the Consent must be active")
        elif len(active) > 1:
            errors.add("Consent", "consent_ambiguous", "exactly one active Consent is allowed")

    data = ReferralData(external_id=identifier or "", action=action, format="fhir",
                        snomed_code=snomed or "", cancelled=cancelled,
                        referrer_ods_code=ods, referrer_name=referrer_name,
                        consent_active=bool(active) or cancelled)
    data.authored_on = (request.authoredOn.date() if isinstance(request.authoredOn, dt.datetime)
                        else request.authoredOn)
    if request.note:
        data.reason = "\n".join(n.text for n in request.note if n.text)[:2000] or None
    cohorts = [c.code for concept in (request.reasonCode or []) for c in (concept.coding or [])
               if c.system == COHORT_SYSTEM and c.code]
    data.cohorts = list(dict.fromkeys(cohorts))  # in the order sent, once each
    if patient is not None:
        data.nhs_number = next((i.value for i in (patient.identifier or [])
                                if i.system == NHS_NUMBER_SYSTEM), None)
        if patient.name:
            data.given_name = " ".join(patient.name[0].given or []) or None
            data.family_name = patient.name[0].family
        data.date_of_birth = patient.birthDate
        data.gender = patient.gender
        for telecom in patient.telecom or []:
            if telecom.system == "phone" and data.phone is None:
                data.phone = telecom.value
            elif telecom.system == "email" and data.email is None:
                data.email = telecom.value
        if patient.address:
            data.postcode = patient.address[0].postalCode
    if patient is not None or not errors.items:
        _person_checks(data, FHIR_PATHS, errors, today)
    errors.raise_any()
    return data


def parse(body: bytes | Any, content_type: str, today: dt.date, receiver_code: str
          ) -> ReferralData:
    """Either format, by content type (``application/fhir+json`` is FHIR); raises
    ValidationError with every broken rule."""
    if isinstance(body, bytes | bytearray | str):
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ValidationError.single("", "invalid_json", "the body is not JSON") from None
    else:
        document = body
    if is_fhir(content_type):
        return parse_fhir(document, today, receiver_code)
    return parse_native(document, today)


def is_fhir(content_type: str) -> bool:
    return bool(re.match(r"^\s*application/fhir\+json", content_type or "", re.I))

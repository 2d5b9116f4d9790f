"""The one validator, without a database: what each format requires, and that nothing a
platform can send makes it fail with anything but a list of field errors."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable
from unittest import mock

import orjson
import pydantic
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir_core.fhirabstractmodel import FHIRAbstractModel

from imm_graph.errors import ValidationError
from plugins.social_prescribing import intake
from tests.plugins.social_prescribing.conftest import BUNDLE, NATIVE

TODAY = dt.date(2025, 3, 3)


def parse(document: object, fhir: bool) -> intake.ReferralData:
    return intake.parse(orjson.dumps(document), "application/fhir+json" if fhir
                        else "application/json", TODAY, "IMM")


def errors_of(document: object, fhir: bool) -> set[tuple[str, str]]:
    """The (code, path) of each broken rule; every one also says what is wrong in words."""
    with pytest.raises(ValidationError) as refused:
        parse(document, fhir)
    assert all(isinstance(e.message, str) and len(e.message) > 10
               for e in refused.value.errors), refused.value.errors
    return {(e.code, e.field) for e in refused.value.errors}


def test_both_examples_give_the_same_kind_of_referral() -> None:
    native = parse(orjson.loads(NATIVE), fhir=False)
    fhir = parse(orjson.loads(BUNDLE), fhir=True)
    assert (native.nhs_number, native.postcode, native.action) == ("9434765870", "GU21 6BS",
                                                                   "new")
    assert (fhir.nhs_number, fhir.postcode, fhir.gender) == ("9434765919", "TW3 1HN", "female")
    assert fhir.referrer_ods_code == native.referrer_ods_code == "E85025"
    assert fhir.authored_on == native.authored_on == TODAY


def test_a_birth_date_of_today_is_fine_and_tomorrow_is_not() -> None:
    document = orjson.loads(NATIVE)
    document["patient"]["birthDate"] = TODAY.isoformat()
    assert parse(document, fhir=False).date_of_birth == TODAY
    document["patient"]["birthDate"] = (TODAY + dt.timedelta(days=1)).isoformat()
    assert errors_of(document, fhir=False) == {("birth_date_future", "patient.birthDate")}


def test_fhir_rules_the_library_does_not_check() -> None:
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][2]["resource"]["gender"] = "woman"  # fhir.resources accepts any code
    bundle["entry"][1]["resource"]["subject"]["reference"] = "Patient/nobody"
    second = copy.deepcopy(bundle["entry"][5])
    second["fullUrl"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    bundle["entry"].append(second)  # two active Consents
    assert errors_of(bundle, fhir=True) == {
        ("dangling_reference", "ServiceRequest.subject"), ("consent_ambiguous", "Consent"),
    }
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][2]["resource"]["gender"] = "woman"
    assert ("code_invalid", "Patient.gender") in errors_of(bundle, fhir=True)
    bundle = orjson.loads(BUNDLE)
    bundle["type"] = "collection"
    assert errors_of(bundle, fhir=True) == {("not_a_message", "Bundle.type")}
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][2]["resource"]["birthDate"] = "03/03/1944"  # structure: the library's
    assert errors_of(bundle, fhir=True) == {
        ("fhir_structure", "Bundle.entry[2].resource.birthDate")}


def _mangle(value: object, rng: random.Random) -> object:
    """Replace one value somewhere with something of the wrong kind."""
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        value[key] = _mangle(value[key], rng) if rng.random() < 0.7 else rng.choice(
            [None, 5, "", [], {}, "x" * 300, True, "2999-01-01", {"a": [1]}])
    elif isinstance(value, list) and value:
        index = rng.randrange(len(value))
        value[index] = _mangle(value[index], rng)
    else:
        return rng.choice([None, 0, "", [], {}, "\u0663" * 10, -1.5])
    return value


@pytest.mark.parametrize("fhir", [False, True], ids=["native", "fhir"])
def test_mangled_documents_are_refused_with_field_errors_never_an_exception(fhir: bool) -> None:
    rng = random.Random(20261122)
    original = orjson.loads(BUNDLE if fhir else NATIVE)
    for _ in range(300):
        document = _mangle(copy.deepcopy(original), rng)
        try:
            parse(document, fhir)
        except ValidationError as refused:
            assert all(e.code in intake.ERROR_CODES for e in refused.errors), refused.errors


def _outcome(validate: object, document: object) -> tuple[str, object]:
    try:
        return "valid", validate(document).model_dump()
    except Exception as exc:  # the reference's exception is the answer to compare with
        if isinstance(exc, pydantic.ValidationError):
            return "ValidationError", exc.errors(include_context=False)
        return type(exc).__name__, str(exc)


def test_the_quick_bundle_validation_agrees_with_the_library_on_every_mangled_bundle() -> None:
    """The intake validates a bundle's resources by their models before the Bundle itself (about a
    fifth cheaper): it must accept and refuse exactly what ``Bundle.model_validate`` does."""
    rng = random.Random(20261123)
    original = orjson.loads(BUNDLE)
    verdicts = set()
    for _ in range(300):
        document = _mangle(copy.deepcopy(original), rng)
        if not isinstance(document, dict):
            continue
        expected = _outcome(Bundle.model_validate, document)
        assert _outcome(intake._validated_bundle, document) == expected
        verdicts.add(expected[0])
    assert {"valid", "ValidationError"} <= verdicts  # both sides of the line were tried


def test_a_valid_bundle_takes_the_quick_way_once() -> None:
    """The quick way falls back to the library's on any failure, so a broken quick way would
    still give right answers, only slower: this is what keeps it taken (a spy, not a stub)."""
    with mock.patch.object(Bundle, "model_validate", wraps=Bundle.model_validate) as spy:
        intake._validated_bundle(orjson.loads(BUNDLE))
    ((document,), _), = spy.call_args_list
    resources = [entry["resource"] for entry in document["entry"]]
    assert len(resources) == 6 and all(isinstance(r, FHIRAbstractModel) for r in resources)


@pytest.mark.parametrize("resource_type", ["HumanName", "Bundle", "NoSuchThing"])
def test_an_entry_that_is_not_an_r4_resource_is_judged_by_the_library(resource_type: str) -> None:
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][3]["resource"]["resourceType"] = resource_type
    assert _outcome(intake._validated_bundle, bundle) == _outcome(Bundle.model_validate, bundle)


# --- The contract, field by field: what each format's elements become, and each rule's code and
# path at its edge. A referral parsed into the wrong field, or a rule off by one character, is a
# different answer here.


def native(**changes: object) -> dict:
    document = orjson.loads(NATIVE)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = document
        for key in parents:
            target = target[key]
        if value is _DROP:
            target.pop(last)
        else:
            target[last] = value
    return document


_DROP = object()


def test_every_native_element_lands_in_its_own_field() -> None:
    document = native(patient__email="albert@example.org")
    assert parse(document, fhir=False) == intake.ReferralData(
        external_id="EX-2025-000124", action="new", format="native",
        snomed_code=intake.REFERRAL_CODE, authored_on=dt.date(2025, 3, 3),
        nhs_number="9434765870", given_name="Albert", family_name="Example",
        date_of_birth=dt.date(1947, 9, 30), gender="male", phone="01483 000000",
        email="albert@example.org", postcode="GU21 6BS", cohorts=["older_people"],
        reason="Isolated since retiring; keen to volunteer with children.",
        referrer_ods_code="E85025", referrer_name="Ada Okafor, link worker",
        consent_active=True, cancelled=False)


def test_every_fhir_element_lands_in_its_own_field() -> None:
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][2]["resource"]["telecom"].append({"system": "email",
                                                       "value": "edna@example.org"})
    assert parse(bundle, fhir=True) == intake.ReferralData(
        external_id="EX-2025-000123", action="new", format="fhir",
        snomed_code=intake.REFERRAL_CODE, authored_on=dt.date(2025, 3, 3),
        nhs_number="9434765919", given_name="Edna", family_name="Example",
        date_of_birth=dt.date(1944, 2, 11), gender="female", phone="020 7946 0000",
        email="edna@example.org", postcode="TW3 1HN", cohorts=["older_people", "dementia"],
        reason="Recently bereaved, lives alone, loved singing in a choir.",
        referrer_ods_code="E85025", referrer_name="Ada Okafor",
        consent_active=True, cancelled=False)


@pytest.mark.parametrize(("element", "limit"), [
    ("patient__phone", 40), ("patient__postcode", 10), ("reason", 2000),
    ("referrer__odsCode", 10), ("patient__givenName", 200), ("referralId", 200),
])
def test_a_native_text_may_be_as_long_as_its_limit_and_not_a_character_more(
    element: str, limit: int
) -> None:
    path = element.replace("__", ".")
    long = native(**{element: "x" * (limit + 1)})
    assert ("too_long", path) in errors_of(long, fhir=False)
    at_limit = native(**{element: "x" * limit})
    assert ("too_long", path) not in _errors_or_none(at_limit)


def _errors_or_none(document: object) -> set[tuple[str, str]]:
    try:
        parse(document, fhir=False)
    except ValidationError as refused:
        return {(e.code, e.field) for e in refused.errors}
    return set()


@pytest.mark.parametrize(("changes", "expected"), [
    ({"referralId": _DROP}, {("required", "referralId")}),
    ({"referralId": "   "}, {("required", "referralId")}),
    ({"referralId": 42}, {("code_invalid", "referralId")}),
    ({"action": "archive"}, {("code_invalid", "action")}),
    ({"action": "archive", "consent": _DROP},  # judged as the new referral it defaults to
     {("code_invalid", "action"), ("consent_missing", "consent")}),
    ({"authoredOn": _DROP}, {("required", "authoredOn")}),
    ({"authoredOn": "3 March 2025"}, {("invalid_date", "authoredOn")}),
    ({"patient": _DROP}, {("required", "patient"), ("required", "patient.nhsNumber")}),
    ({"patient__nhsNumber": _DROP}, {("required", "patient.nhsNumber")}),
    ({"patient__nhsNumber": "9434765871"}, {("nhs_number_checksum", "patient.nhsNumber")}),
    ({"patient__nhsNumber": 9434765870}, {("code_invalid", "patient.nhsNumber")}),
    ({"patient__birthDate": "30/09/1947"}, {("invalid_date", "patient.birthDate")}),
    ({"patient__gender": "M"}, {("code_invalid", "patient.gender")}),
    ({"patient__postcode": "GU21"}, {("postcode_format", "patient.postcode")}),
    ({"referrer": "Dr Okafor"}, {("code_invalid", "referrer")}),
    ({"referrer__odsCode": "E8"}, {("ods_code_format", "referrer.odsCode")}),
    ({"cohorts": "older_people"}, {("code_invalid", "cohorts")}),
    ({"cohorts": ["older_people", 7]}, {("code_invalid", "cohorts")}),
    ({"code": "1234"}, {("code_invalid", "code")}),
    ({"consent": _DROP}, {("consent_missing", "consent")}),
    ({"consent__status": "withdrawn"}, {("consent_inactive", "consent.status")}),
])
def test_each_native_rule_has_its_code_and_path(changes: dict, expected: set) -> None:
    assert errors_of(native(**changes), fhir=False) == expected


@pytest.mark.parametrize("element", [
    "referralId", "patient__nhsNumber", "patient__givenName", "patient__familyName",
    "patient__gender", "patient__phone", "patient__email", "patient__postcode", "reason",
    "referrer__odsCode", "referrer__name",
])
def test_a_native_text_sent_as_a_number_is_refused_at_its_own_path(element: str) -> None:
    assert errors_of(native(**{element: 5}), fhir=False) == {
        ("code_invalid", element.replace("__", "."))}


def test_the_native_code_may_be_left_out_and_means_social_prescribing() -> None:
    assert parse(native(code=_DROP), fhir=False).snomed_code == intake.REFERRAL_CODE


def test_the_content_type_picks_the_format_whatever_its_case_and_parameters() -> None:
    assert intake.is_fhir("Application/FHIR+json; charset=utf-8")
    assert intake.is_fhir("  application/fhir+json")
    assert not intake.is_fhir("application/json")
    assert not intake.is_fhir("")


def test_a_body_that_is_not_json_is_refused_as_such() -> None:
    for fhir in ("application/json", "application/fhir+json"):
        with pytest.raises(ValidationError) as refused:
            intake.parse(b'{"referralId": ', fhir, TODAY, "IMM")
        assert [(e.code, e.field) for e in refused.value.errors] == [("invalid_json", "")]
        assert "not JSON" in refused.value.errors[0].message


def test_a_body_that_is_not_an_object_is_refused_as_such() -> None:
    assert errors_of([1, 2], fhir=False) == {("invalid_json", "")}
    assert errors_of([1, 2], fhir=True) == {("invalid_json", "Bundle")}
    assert errors_of({"resourceType": "Patient"}, fhir=True) == {
        ("not_a_message", "Bundle.resourceType")}
    def header_not_first(bundle: dict) -> None:
        bundle["entry"].append(bundle["entry"].pop(0))
    assert errors_of(fhir_with(header_not_first), fhir=True) == {("not_a_message", "Bundle.type")}
    def header_alone(bundle: dict) -> None:
        del bundle["entry"][1:]
    assert errors_of(fhir_with(header_alone), fhir=True) == {
        ("dangling_reference", "MessageHeader.focus")}


def test_native_actions_new_by_default_update_and_cancel() -> None:
    assert parse(native(action=_DROP), fhir=False).action == "new"
    update = parse(native(action="update", authoredOn=_DROP, consent=_DROP), fhir=False)
    assert (update.action, update.cancelled, update.consent_active) == ("update", False, True)
    withdrawn = parse(native(action="update", consent__status="withdrawn"), fhir=False)
    assert withdrawn.consent_active is False  # an update may withdraw consent: no error
    assert parse(native(action="update"), fhir=False).consent_active is True
    cancel = parse(native(action="cancel", authoredOn=_DROP, consent=_DROP), fhir=False)
    assert (cancel.action, cancel.cancelled) == ("delete", True)


Change = Callable[[dict], None]


def fhir_with(change: Change) -> dict:
    bundle = orjson.loads(BUNDLE)
    change(bundle)
    return bundle


def _resource(bundle: dict, kind: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _set(kind: str, key: str, value: object) -> Change:
    def change(bundle: dict) -> None:
        if value is _DROP:
            _resource(bundle, kind).pop(key)
        else:
            _resource(bundle, kind)[key] = value
    return change


def _drop_entry(kind: str) -> Change:
    def change(bundle: dict) -> None:
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != kind]
    return change


REASON = "https://fhir.nhs.uk/CodeSystem/message-reason-bars"


def _reason(code: str) -> Change:
    return _set("MessageHeader", "reason", {"coding": [{"system": REASON, "code": code}]})


def _all(*changes: Change) -> Change:
    def change(bundle: dict) -> None:
        for one in changes:
            one(bundle)
    return change


@pytest.mark.parametrize(("change", "expected"), [
    (_set("MessageHeader", "destination", [{"endpoint": "https://elsewhere.example/fhir",
                                              "receiver": {"identifier": {"value": "NOT-IMM"}}}]),
     {("wrong_destination", "MessageHeader.destination")}),
    (_set("MessageHeader", "eventCoding", {"system": intake.EVENT_SYSTEM, "code": "other"}),
     {("code_invalid", "MessageHeader.eventCoding")}),
    (_reason("archive"), {("code_invalid", "MessageHeader.reason")}),
    (_set("MessageHeader", "focus", _DROP), {("required", "MessageHeader.focus")}),
    (_set("MessageHeader", "focus", [{"reference": "urn:uuid:nothing"}]),
     {("dangling_reference", "MessageHeader.focus")}),
    (_set("ServiceRequest", "subject", {"display": "Edna"}),  # no reference: whom?
     {("required", "ServiceRequest.subject")}),
    (_all(_set("ServiceRequest", "intent", "order"), _set("Patient", "gender", "woman")),
     {("code_invalid", "ServiceRequest.intent"), ("code_invalid", "Patient.gender")}),
    (_set("ServiceRequest", "intent", "order"), {("code_invalid", "ServiceRequest.intent")}),
    (_set("ServiceRequest", "status", "draft"), {("code_invalid", "ServiceRequest.status")}),
    (_set("ServiceRequest", "identifier", _DROP),
     {("required", "ServiceRequest.identifier")}),
    (_set("ServiceRequest", "authoredOn", _DROP), {("required", "ServiceRequest.authoredOn")}),
    (_set("ServiceRequest", "requester", {"reference": "urn:uuid:nobody"}),
     {("dangling_reference", "ServiceRequest.requester")}),
    (_set("ServiceRequest", "code", {"coding": [{"system": intake.SNOMED, "code": "1234"}]}),
     {("code_invalid", "ServiceRequest.code")}),
    (_set("Patient", "identifier", _DROP), {("required", "Patient.identifier")}),
    (_set("Patient", "address", [{"postalCode": "TW3"}]),
     {("postcode_format", "Patient.address.postalCode")}),
    (_set("Consent", "status", "inactive"), {("consent_inactive", "Consent.status")}),
    (_drop_entry("Consent"), {("consent_missing", "Consent")}),
    (_set("Organization", "identifier", [{"system": intake.ODS_SYSTEM, "value": "E8"}]),
     {("ods_code_format", "Organization.identifier")}),
])
def test_each_fhir_rule_has_its_code_and_path(change: Change, expected: set) -> None:
    assert errors_of(fhir_with(change), fhir=True) == expected


@pytest.mark.parametrize("status", ["revoked", "entered-in-error"])
def test_a_revoked_service_request_is_a_cancellation_that_needs_no_consent(status: str) -> None:
    cancelled = parse(fhir_with(_all(_set("ServiceRequest", "status", status),
                                     _set("ServiceRequest", "authoredOn", _DROP),
                                     _drop_entry("Consent"))), fhir=True)
    assert (cancelled.action, cancelled.cancelled, cancelled.consent_active) == (
        "new", True, True)


def test_fhir_reason_codes_and_an_update_withdrawing_consent() -> None:
    updated = parse(fhir_with(_all(_reason("update"), _set("Consent", "status", "inactive"))),
                    fhir=True)
    assert (updated.action, updated.cancelled, updated.consent_active) == (
        "update", False, False)
    deleted = parse(fhir_with(_all(_reason("delete"), _set("ServiceRequest", "status",
                                                            "revoked"))), fhir=True)
    assert (deleted.action, deleted.cancelled) == ("delete", True)
    # A delete must say the request is revoked: an active one is refused.
    assert errors_of(fhir_with(_reason("delete")), fhir=True) == {
        ("code_invalid", "ServiceRequest.status")}


def test_an_unknown_resource_type_is_named_at_its_entry() -> None:
    bundle = fhir_with(_set("Practitioner", "resourceType", "Widget"))
    assert errors_of(bundle, fhir=True) == {
        ("unknown_resource_type", "Bundle.entry[3].resource.resourceType")}


def test_the_referrer_is_the_organization_of_the_practitioner_role_that_asked() -> None:
    """Not simply the bundle's first Organization: a link worker's role names their own."""
    def role(bundle: dict) -> None:
        bundle["entry"] += [
            {"fullUrl": "urn:uuid:5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a", "resource": {
                "resourceType": "PractitionerRole", "id": "5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a",
                "organization": {"reference": "urn:uuid:6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b"}}},
            {"fullUrl": "urn:uuid:6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b", "resource": {
                "resourceType": "Organization", "id": "6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b",
                "identifier": [{"system": intake.ODS_SYSTEM, "value": "A81001"}]}},
        ]
        _resource(bundle, "ServiceRequest")["requester"] = {
            "reference": "urn:uuid:5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a"}
    assert parse(fhir_with(role), fhir=True).referrer_ods_code == "A81001"
    assert parse(orjson.loads(BUNDLE), fhir=True).referrer_ods_code == "E85025"


def _referral(bundle: dict) -> dict:
    return _resource(bundle, "ServiceRequest")


def test_a_fhir_message_without_a_reason_is_a_new_referral() -> None:
    assert parse(fhir_with(_set("MessageHeader", "reason", _DROP)), fhir=True).action == "new"


def test_entries_may_be_referenced_by_type_and_id_as_well_as_by_full_url() -> None:
    patient_id = _resource(orjson.loads(BUNDLE), "Patient")["id"]
    bundle = fhir_with(_set("ServiceRequest", "subject", {"reference": f"Patient/{patient_id}"}))
    assert parse(bundle, fhir=True).nhs_number == "9434765919"


def test_an_organization_that_asked_is_the_referrer_and_names_nobody() -> None:
    def organization_asked(bundle: dict) -> None:
        bundle["entry"].append({
            "fullUrl": "urn:uuid:6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b", "resource": {
                "resourceType": "Organization", "id": "6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b",
                "identifier": [{"system": intake.ODS_SYSTEM, "value": "A81001"}]}})
        _referral(bundle)["requester"] = {
            "reference": "urn:uuid:6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b"}
    asked = parse(fhir_with(organization_asked), fhir=True)
    assert (asked.referrer_ods_code, asked.referrer_name) == ("A81001", None)


def test_a_bundle_without_an_ods_code_has_no_referrer_code_and_no_error() -> None:
    no_code = parse(fhir_with(_set("Organization", "identifier", _DROP)), fhir=True)
    assert no_code.referrer_ods_code is None
    no_organization = parse(fhir_with(_drop_entry("Organization")), fhir=True)
    assert no_organization.referrer_ods_code is None


def test_fhir_names_telecoms_notes_and_cohorts_are_read_with_care() -> None:
    def richer(bundle: dict) -> None:
        patient = _resource(bundle, "Patient")
        patient["name"][0]["given"] = ["Edna", "May"]
        patient["telecom"] = [{"system": "phone", "value": "020 7946 0000"},
                              {"system": "phone", "value": "07700 900000"},  # the first counts
                              {"system": "email", "value": "edna@example.org"},
                              {"system": "email", "value": "edna@work.example"}]
        _resource(bundle, "Practitioner")["name"] = [{"given": ["Ada"]}]
        _referral(bundle)["note"] = [{"text": "Lives alone."}, {"text": "Loves singing."}]
        _referral(bundle)["reasonCode"] = [{"coding": [
            {"system": intake.SNOMED, "code": "52702003"},  # a SNOMED reason, not a cohort
            {"system": intake.COHORT_SYSTEM, "code": "dementia"},
            {"system": intake.COHORT_SYSTEM, "code": "dementia"}]}]
    data = parse(fhir_with(richer), fhir=True)
    assert (data.given_name, data.email, data.phone) == (
        "Edna May", "edna@example.org", "020 7946 0000")
    assert data.referrer_name == "Ada"
    assert data.reason == "Lives alone.\nLoves singing."
    assert data.cohorts == ["dementia"]


def test_at_most_twenty_structure_errors_are_listed() -> None:
    def many(bundle: dict) -> None:
        _resource(bundle, "Patient")["telecom"] = [{"rank": "first"} for _ in range(30)]
    with pytest.raises(ValidationError) as refused:
        parse(fhir_with(many), fhir=True)
    assert len(refused.value.errors) == 20
    assert {e.code for e in refused.value.errors} == {"fhir_structure"}

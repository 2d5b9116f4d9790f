"""The one validator, without a database: what each format requires, and that nothing a
platform can send makes it fail with anything but a list of field errors."""

from __future__ import annotations

import copy
import datetime as dt
import random

import orjson
import pydantic
import pytest
from fhir.resources.R4B.bundle import Bundle

from imm_graph.errors import ValidationError
from plugins.social_prescribing import intake
from tests.plugins.social_prescribing.conftest import BUNDLE, NATIVE

TODAY = dt.date(2025, 3, 3)


def parse(document: object, fhir: bool) -> intake.ReferralData:
    return intake.parse(orjson.dumps(document), "application/fhir+json" if fhir
                        else "application/json", TODAY, "IMM")


def errors_of(document: object, fhir: bool) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as refused:
        parse(document, fhir)
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
        return "valid", validate(document).model_dump()  # type: ignore[operator]
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


@pytest.mark.parametrize("resource_type", ["HumanName", "Bundle", "NoSuchThing"])
def test_an_entry_that_is_not_an_r4_resource_is_judged_by_the_library(resource_type: str) -> None:
    bundle = orjson.loads(BUNDLE)
    bundle["entry"][3]["resource"]["resourceType"] = resource_type
    assert _outcome(intake._validated_bundle, bundle) == _outcome(Bundle.model_validate, bundle)

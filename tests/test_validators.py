"""NHS numbers, ODS codes and postcodes, as worked examples. No database is involved."""

from __future__ import annotations

import pytest

from imm_graph.errors import FieldError, ValidationError
from imm_graph.validators import (
    format_nhs_number,
    nhs_number_is_valid,
    validate_nhs_number,
    validate_ods_code,
    validate_postcode,
)


def only_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> FieldError:
    assert len(excinfo.value.errors) == 1, excinfo.value.errors
    return excinfo.value.errors[0]


# --- NHS numbers ----------------------------------------------------------------------------
#
# Modulus 11 worked through for 943 476 591 9:
#   9x10 + 4x9 + 3x8 + 4x7 + 7x6 + 6x5 + 5x4 + 9x3 + 1x2 = 299; 299 mod 11 = 2; 11 - 2 = 9. Valid.
# For 943 476 587 0 the remainder is 0, so 11 - 0 = 11, which becomes check digit 0.
# For 123 456 789 the remainder is 1, so the check digit would be 10: no such NHS number exists.


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "9434765870"])
def test_valid_nhs_numbers(number: str) -> None:
    assert nhs_number_is_valid(number)
    assert validate_nhs_number(number) == number


@pytest.mark.parametrize("written", ["943 476 5919", "943-476-5919", " 9434765919 "])
def test_nhs_number_written_3_3_4_is_normalised_to_10_digits(written: str) -> None:
    assert validate_nhs_number(written) == "9434765919"


def test_format_nhs_number_for_display() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("401-023-2137") == "401 023 2137"


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("9434765918", id="last digit mistyped"),
        pytest.param("9434765191", id="two digits transposed"),
        pytest.param("1234567890", id="check digit would be 10"),
        pytest.param("1234567891", id="check digit would be 10, any last digit"),
    ],
)
def test_nhs_number_with_a_bad_check_digit(number: str) -> None:
    assert not nhs_number_is_valid(number)
    with pytest.raises(ValidationError) as excinfo:
        validate_nhs_number(number)

    error = only_error(excinfo)
    assert (error.field, error.code) == ("nhsNumber", "nhs_number_checksum")
    assert number not in error.message  # personal data stays out of logs


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("943476591", id="9 digits"),
        pytest.param("94347659190", id="11 digits"),
        pytest.param("94347659A9", id="a letter"),
        pytest.param("ABCDEFGHIJ", id="letters"),
        pytest.param("9434 765 919", id="wrong grouping"),
        pytest.param("943/476/5919", id="wrong separator"),
        pytest.param("943 476-5919", id="mixed separators"),
        pytest.param("943 4765919", id="one separator of two"),
        pytest.param("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",
                     id="fullwidth digits"),
        pytest.param("\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",
                     id="Arabic-Indic digits"),
        pytest.param("", id="empty"),
        pytest.param(9434765919, id="an int, not a string"),
    ],
)
def test_nhs_number_with_the_wrong_format(value: str) -> None:
    assert not nhs_number_is_valid(value)
    with pytest.raises(ValidationError) as excinfo:
        validate_nhs_number(value, field="patient.nhsNumber")

    error = only_error(excinfo)
    assert (error.field, error.code) == ("patient.nhsNumber", "nhs_number_format")
    assert "10 digits" in error.message


def test_format_nhs_number_refuses_an_invalid_number() -> None:
    with pytest.raises(ValidationError):
        format_nhs_number("9434765918")


# --- ODS codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("A81001", "gp_practice"),
        ("U12345", "pcn"),
        ("QNQ", "icb"),
        ("D4U1Y", None),
        ("D4U1Y", "sub_icb_location"),
        ("RJ1", "nhs_trust"),
        ("TAF", "nhs_trust"),
        ("RJ1", "hospital"),
        ("RJ122", "hospital"),
        ("A81001", None),
        ("8HN18", "care_home"),
    ],
)
def test_valid_ods_codes(code: str, kind: str | None) -> None:
    assert validate_ods_code(code, kind) == code


def test_ods_code_is_normalised_to_upper_case() -> None:
    assert validate_ods_code(" a81001 ", "gp_practice") == "A81001"


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        ("U1234", "pcn", "'U' followed by 5 digits, e.g. U12345"),
        ("A12345", "pcn", "'U' followed by 5 digits"),
        ("QNQ1", "icb", "3 letters or digits, e.g. QNQ"),
        ("D4U1", "sub_icb_location", "5 letters or digits, e.g. D4U1Y"),
        ("A8100", "gp_practice", "1 letter followed by 5 digits, e.g. A81001"),
        ("AB1001", "gp_practice", "1 letter followed by 5 digits"),
        ("QNQ", "nhs_trust", "'R' or 'T' followed by 2 letters or digits, e.g. RJ1"),
        ("RJ12", "nhs_trust", "'R' or 'T'"),
        ("RJ12", "hospital", "e.g. RJ122"),
        ("AB", None, "3 to 6 letters or digits"),
        ("A8-001", None, "3 to 6 letters or digits"),
        ("A810012", "charity", "3 to 6 letters or digits"),
        ("U\u0661\u0662\u0663\u0664\u0665", "pcn", "'U' followed by 5 digits"),
        ("\ufb001", None, "3 to 6 letters or digits"),
    ],
)
def test_invalid_ods_codes_name_the_expected_pattern(
    code: str, kind: str | None, expected: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_ods_code(code, kind)

    error = only_error(excinfo)
    assert (error.field, error.code) == ("odsCode", "ods_code_format")
    assert expected in error.message
    assert code in error.message


def test_ods_error_uses_the_given_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_ods_code("X", "pcn", field="referrer.pcn")

    assert only_error(excinfo).field == "referrer.pcn"


# --- Postcodes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("GU1 4AB", "GU1 4AB"),
        ("TW3 1ES", "TW3 1ES"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_valid_postcodes(written: str, normalised: str) -> None:
    assert validate_postcode(written) == normalised


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("SW1A", id="outward code only"),
        pytest.param("SW1A 1A", id="short inward code"),
        pytest.param("SW1A 1AAA", id="long inward code"),
        pytest.param("QW1 1AA", id="Q cannot start a postcode"),
        pytest.param("GU1 4CB", id="C is not used in the inward code"),
        pytest.param("GU1 AAB", id="inward code starts with a digit"),
        pytest.param("12345", id="digits"),
        pytest.param("GU1-4AB", id="hyphen"),
        pytest.param("GU1 \u0664AB", id="an Arabic-Indic digit"),
        pytest.param("\u017fW1A 1AA", id="long s, which upper-cases to S"),
        pytest.param(None, id="None"),
    ],
)
def test_invalid_postcodes(value: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_postcode(value)

    error = only_error(excinfo)
    assert (error.field, error.code) == ("postcode", "postcode_format")
    assert "e.g. SW1A 1AA" in error.message


# --- The messages, word for word: staff and partners read them --------------------------------


def test_nhs_number_messages() -> None:
    with pytest.raises(ValidationError) as badly_written:
        validate_nhs_number("943 476-5919")
    with pytest.raises(ValidationError) as mistyped:
        validate_nhs_number("9434765918")

    assert only_error(badly_written).message == (
        "an NHS number is 10 digits (0-9), optionally written 3-3-4 with spaces or with hyphens, "
        "e.g. 943 476 5919"
    )
    assert only_error(mistyped).message == (
        "not a valid NHS number: the check digit (Modulus 11) does not match; "
        "check for a mistyped digit"
    )


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        pytest.param(
            "  qnq1 ", "icb",
            "'qnq1' is not a valid ODS code: an ICB ODS code is 3 letters or digits, e.g. QNQ",
            id="shown as typed, without the padding",
        ),
        pytest.param(
            12345, None,
            "12345 is not a valid ODS code: an ODS code is 3 to 6 letters or digits, e.g. A81001",
            id="not text",
        ),
        pytest.param(
            None, None,
            "None is not a valid ODS code: an ODS code is 3 to 6 letters or digits, e.g. A81001",
            id="None",
        ),
    ],
)
def test_ods_code_messages(value: object, kind: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_ods_code(value, kind)  # type: ignore[arg-type]

    assert only_error(excinfo).message == message


@pytest.mark.parametrize("value", ["SW1A 1A", None, "\u017fW1A 1AA"])
def test_postcode_message(value: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_postcode(value, field="venue.postcode")

    assert only_error(excinfo) == FieldError(
        code="postcode_format", field="venue.postcode",
        message="not a UK postcode: expected an outward code, a space and an inward code, "
        "e.g. SW1A 1AA",
    )

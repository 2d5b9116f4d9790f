"""Validation of NHS identifiers and UK postcodes.

Pure Python and free of I/O: these functions check the *form* of an identifier (its pattern and,
for NHS numbers, its check digit) and return it normalised. They never look anything up and never
derive meaning from a code (REFERENCE.md, "NHS identifiers": validate the pattern only).

Each ``validate_*`` function returns the normalised value or raises
:class:`~imm_graph.errors.ValidationError` carrying one :class:`~imm_graph.errors.FieldError`,
with these codes:

- ``nhs_number_format``: not 10 ASCII digits (optionally written 3-3-4 with spaces or with
  hyphens).
- ``nhs_number_checksum``: 10 digits whose Modulus 11 check digit is wrong, or would be 10.
- ``ods_code_format``: does not match the ODS code pattern (of the given organisation kind).
- ``postcode_format``: not a UK postcode.

Messages about NHS numbers and postcodes do not repeat the value: both are personal data, and
messages end up in logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imm_graph.errors import ValidationError
from imm_graph.reference import OrganisationKind

__all__ = [
    "format_nhs_number",
    "nhs_number_is_valid",
    "validate_nhs_number",
    "validate_ods_code",
    "validate_postcode",
]

# --------------------------------------------------------------------------------------------
# NHS number
# --------------------------------------------------------------------------------------------

# Ten ASCII digits, or 3-3-4 groups separated by one kind of separator, a single space or a
# hyphen ("943 476 5919", "943-476-5919"; not "943 476-5919"). [0-9], not \d: \d also matches
# other scripts' digits ("٩٤٣..."), which would pass the check digit (int() reads them) and come
# back unchanged, so the keyed index of one number would depend on how it was typed.
_NHS_NUMBER = re.compile(r"^([0-9]{3})([ -]?)([0-9]{3})\2([0-9]{4})$")


def _nhs_check_digit(first_nine: str) -> int:
    """Modulus 11 check digit of the first nine digits; 10 when no valid number exists.

    NHS Data Dictionary: multiply digits 1-9 by weights 10 down to 2, sum, take the remainder
    mod 11 and subtract it from 11; 11 becomes 0 (the final mod 11), and 10 means the number
    can never be valid, which needs no case of its own: no tenth digit equals 10.
    """
    total = sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine))
    return (11 - total % 11) % 11


def validate_nhs_number(value: str, field: str = "nhsNumber") -> str:
    """Return ``value`` as a bare 10-digit NHS number, or raise ValidationError.

    Accepts ``"9434765919"``, ``"943 476 5919"`` and ``"943-476-5919"`` (surrounding whitespace is
    ignored); refuses mixed separators and any digit that is not ASCII 0-9 (REFERENCE.md).
    """
    match = _NHS_NUMBER.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationError.single(
            field, "nhs_number_format",
            "an NHS number is 10 digits (0-9), optionally written 3-3-4 with spaces or with "
            "hyphens, e.g. 943 476 5919",
        )
    digits = match.group(1) + match.group(3) + match.group(4)
    if _nhs_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError.single(
            field, "nhs_number_checksum",
            "not a valid NHS number: the check digit (Modulus 11) does not match; "
            "check for a mistyped digit",
        )
    return digits


def nhs_number_is_valid(value: str) -> bool:
    """True when ``value`` is a well-formed NHS number with a correct check digit."""
    try:
        validate_nhs_number(value)
    except ValidationError:
        return False
    return True


def format_nhs_number(value: str) -> str:
    """Return a valid NHS number in its display form, 3-3-4: ``"943 476 5919"``."""
    digits = validate_nhs_number(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# --------------------------------------------------------------------------------------------
# ODS codes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OdsRule:
    pattern: re.Pattern[str]
    description: str  # completes "expected ..." in an error message


# Any ODS organisation or site code: 3 to 6 letters or digits.
_GENERIC_ODS = _OdsRule(
    re.compile(r"^[A-Z0-9]{3,6}$"), "an ODS code is 3 to 6 letters or digits, e.g. A81001"
)

# Kind-specific patterns (NHS Digital ODS; see REFERENCE.md "NHS identifiers"). NHS trust codes
# start with R (acute and most trusts, e.g. RJ1) or T (e.g. TAF, TAD: mental health and care
# trusts); a trust's sites add two characters (e.g. RJ122).
_ODS_RULES: dict[str, _OdsRule] = {
    OrganisationKind.PCN.value: _OdsRule(
        re.compile(r"^U[0-9]{5}$"), "a PCN ODS code is 'U' followed by 5 digits, e.g. U12345"
    ),
    OrganisationKind.ICB.value: _OdsRule(
        re.compile(r"^[A-Z0-9]{3}$"), "an ICB ODS code is 3 letters or digits, e.g. QNQ"
    ),
    "sub_icb_location": _OdsRule(
        re.compile(r"^[A-Z0-9]{5}$"),
        "a sub-ICB location ODS code is 5 letters or digits, e.g. D4U1Y",
    ),
    OrganisationKind.GP_PRACTICE.value: _OdsRule(
        re.compile(r"^[A-Z][0-9]{5}$"),
        "a GP practice ODS code is 1 letter followed by 5 digits, e.g. A81001",
    ),
    OrganisationKind.NHS_TRUST.value: _OdsRule(
        re.compile(r"^[RT][A-Z0-9]{2}$"),
        "an NHS trust ODS code is 'R' or 'T' followed by 2 letters or digits, e.g. RJ1",
    ),
    OrganisationKind.HOSPITAL.value: _OdsRule(
        re.compile(r"^[RT][A-Z0-9]{2}(?:[A-Z0-9]{2})?$"),
        "a hospital ODS code is a site code ('R' or 'T' followed by 4 letters or digits, "
        "e.g. RJ122) or its trust's code (e.g. RJ1)",
    ),
}


def validate_ods_code(value: str, kind: str | None = None, field: str = "odsCode") -> str:
    """Return ``value`` as an upper-case ODS code, or raise ValidationError.

    ``kind`` is an :class:`~imm_graph.reference.OrganisationKind` code. ``"pcn"``, ``"icb"``,
    ``"gp_practice"``, ``"nhs_trust"`` and ``"hospital"`` (and ``"sub_icb_location"``, which is
    not an organisation kind) have their own pattern; any other kind, or none, gets the generic
    3-6 character pattern.
    """
    rule = _ODS_RULES.get(str(kind), _GENERIC_ODS)  # None, like any other kind, is generic
    code = value.strip() if isinstance(value, str) else value
    # ASCII first: str.upper() turns some other letters into ASCII ("ﬀ" -> "FF", "ſ" -> "S"),
    # which would make a code out of something no one typed as one.
    if not isinstance(code, str) or not code.isascii() or not rule.pattern.match(code.upper()):
        raise ValidationError.single(
            field, "ods_code_format", f"{code!r} is not a valid ODS code: {rule.description}"
        )
    return code.upper()


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------

# The UK government's postcode pattern (Bulk Data Transfer schema), including the Girobank
# postcode GIR 0AA; matched against the normalised form "OUTWARD INWARD".
_POSTCODE = re.compile(
    r"^(?:GIR 0AA|"
    r"[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW]) "
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def validate_postcode(value: str, field: str = "postcode") -> str:
    """Return ``value`` as an upper-case UK postcode with one space, e.g. ``"SW1A 1AA"``.

    Spacing and case are forgiven (``"sw1a1aa"`` and ``" SW1A  1AA "`` are accepted); the inward
    code is always the last 3 characters.
    """
    if not isinstance(value, str):
        raise _not_a_postcode(field)
    compact = re.sub(r"\s+", "", value)
    postcode = f"{compact[:-3]} {compact[-3:]}".upper()
    # Any whitespace is forgiven (a pasted no-break space), but not other scripts' digits or
    # letters that upper() would turn into ASCII ("ſ" -> "S"). The pattern needs an outward
    # code of 2 or more characters, so a shorter input fails it.
    if not compact.isascii() or not _POSTCODE.match(postcode):
        raise _not_a_postcode(field)
    return postcode


def _not_a_postcode(field: str) -> ValidationError:
    return ValidationError.single(
        field, "postcode_format",
        "not a UK postcode: expected an outward code, a space and an inward code, e.g. SW1A 1AA",
    )

"""ODS codes and postcodes: generated valid forms pass, normalised; near misses fail.

The valid forms are built here from the published formats (NHS Digital ODS; the UK postcode
format of BS 7666 as used by the government's bulk data schema), not from the module's patterns.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from imm_graph.errors import ValidationError
from imm_graph.validators import validate_ods_code, validate_postcode

LETTERS = string.ascii_uppercase
DIGITS = string.digits
ALNUM = LETTERS + DIGITS
# Look-alikes that are not ASCII: other scripts' digits, fullwidth forms, and letters that
# str.upper() turns into ASCII ("ſ" -> "S", "ﬀ" -> "FF", "ı" -> "I").
LOOKALIKES = "\u0661\u0966\uff11\uff21\u017f\ufb00\u0131\u00c9\u0410"
PUNCTUATION = "-_./ '"


def ods_error(value: str, kind: str | None) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validate_ods_code(value, kind)
    [error] = excinfo.value.errors
    assert error.field == "odsCode"
    return error.code


def chars(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


# One strategy of valid codes per kind, from the published formats.
VALID_ODS: dict[str | None, st.SearchStrategy[str]] = {
    "pcn": joined(st.just("U"), chars(DIGITS, 5)),  # U12345
    "icb": chars(ALNUM, 3),  # QNQ
    "sub_icb_location": chars(ALNUM, 5),  # D4U1Y
    "gp_practice": joined(chars(LETTERS, 1), chars(DIGITS, 5)),  # A81001
    "nhs_trust": joined(st.sampled_from("RT"), chars(ALNUM, 2)),  # RJ1, TAF
    "hospital": joined(st.sampled_from("RT"), chars(ALNUM, 2), st.sampled_from(["", "22", "AB"])),
    None: st.integers(3, 6).flatmap(lambda n: chars(ALNUM, n)),  # any other kind
    "care_home": st.integers(3, 6).flatmap(lambda n: chars(ALNUM, n)),
}


def is_valid_ods(code: str, kind: str | None) -> bool:
    """The oracle for one kind, written position by position."""

    def shape(*allowed: str) -> bool:
        return len(code) == len(allowed) and all(c in a for c, a in zip(code, allowed, strict=True))

    match kind:
        case "pcn":
            return shape("U", *[DIGITS] * 5)
        case "icb":
            return shape(*[ALNUM] * 3)
        case "sub_icb_location":
            return shape(*[ALNUM] * 5)
        case "gp_practice":
            return shape(LETTERS, *[DIGITS] * 5)
        case "nhs_trust":
            return shape("RT", ALNUM, ALNUM)
        case "hospital":
            return shape("RT", ALNUM, ALNUM) or shape("RT", *[ALNUM] * 4)
        case _:
            return 3 <= len(code) <= 6 and all(c in ALNUM for c in code)


@st.composite
def valid_ods(draw: st.DrawFn) -> tuple[str | None, str]:
    kind = draw(st.sampled_from(list(VALID_ODS)))
    return kind, draw(VALID_ODS[kind])


@given(valid_ods(), st.booleans(), st.sampled_from(["", " ", "\t", " \n "]))
def test_valid_ods_codes_pass_upper_cased_and_trimmed(
    kind_and_code: tuple[str | None, str], lower: bool, padding: str
) -> None:
    kind, code = kind_and_code
    written = padding + (code.lower() if lower else code) + padding

    assert validate_ods_code(written, kind) == code


@st.composite
def ods_near_misses(draw: st.DrawFn) -> tuple[str | None, str]:
    """A valid code with one character replaced, inserted or deleted."""
    kind, code = draw(valid_ods())
    alphabet = ALNUM + LOOKALIKES + PUNCTUATION
    edit = draw(st.sampled_from(["replace", "insert", "delete"]))
    at = draw(st.integers(0, len(code) - (edit != "insert")))
    if edit == "delete":
        return kind, code[:at] + code[at + 1:]
    other = draw(st.sampled_from(alphabet))
    return kind, code[:at] + other + code[at + (edit == "replace"):]


@given(ods_near_misses())
@example(("pcn", "U\u0661\u0662\u0663\u0664\u0665"))  # Arabic-Indic digits
@example(("gp_practice", "A\uff18\u0031\u0030\u0030\u0031"))  # a fullwidth 8
@example((None, "\ufb001"))  # "ﬀ1" would upper-case to "FF1"
@example(("icb", "Q\u017fQ"))  # "ſ" would upper-case to "S"
def test_near_miss_ods_codes_pass_only_when_the_oracle_says_so(
    kind_and_code: tuple[str | None, str],
) -> None:
    kind, code = kind_and_code
    trimmed = code.strip()  # surrounding whitespace is forgiven: an inserted space may be
    if trimmed.isascii() and is_valid_ods(trimmed.upper(), kind):
        assert validate_ods_code(code, kind) == trimmed.upper()
    else:
        assert ods_error(code, kind) == "ods_code_format"


@given(st.sampled_from(["pcn", "gp_practice"]), st.data())
def test_a_letter_where_a_digit_belongs_is_refused(kind: str, data: st.DataObject) -> None:
    code = data.draw(VALID_ODS[kind])
    at = data.draw(st.integers(1, 5))
    broken = code[:at] + data.draw(chars(LETTERS, 1)) + code[at + 1:]

    assert ods_error(broken, kind) == "ods_code_format"


@given(chars(LETTERS, 1).filter(lambda c: c != "U"), chars(DIGITS, 5))
def test_a_pcn_code_starts_with_u(first: str, digits: str) -> None:
    assert ods_error(first + digits, "pcn") == "ods_code_format"
    assert validate_ods_code(first + digits, "gp_practice") == first + digits


@given(chars(LETTERS, 1).filter(lambda c: c not in "RT"), chars(ALNUM, 2))
def test_an_nhs_trust_code_starts_with_r_or_t(first: str, rest: str) -> None:
    assert ods_error(first + rest, "nhs_trust") == "ods_code_format"
    assert ods_error(first + rest, "hospital") == "ods_code_format"


@given(valid_ods(), st.integers(1, 3))
def test_codes_one_to_three_characters_too_long_are_refused(
    kind_and_code: tuple[str | None, str], extra: int
) -> None:
    kind, code = kind_and_code
    longer = code + "1" * extra
    assume(not is_valid_ods(longer, kind))  # a 3-character trust code + "22" is a hospital site

    assert ods_error(longer, kind) == "ods_code_format"


@pytest.mark.parametrize("value", [None, 12345, b"A81001"])
def test_an_ods_code_must_be_text(value: object) -> None:
    assert ods_error(value, "gp_practice") == "ods_code_format"  # type: ignore[arg-type]


# --- postcodes ------------------------------------------------------------------------------

FIRST = "".join(c for c in LETTERS if c not in "QVX")
SECOND = "".join(c for c in LETTERS if c not in "IJZ")
THIRD = "ABCDEFGHJKPSTUW"  # the letter of A9A
FOURTH = "ABEHMNPRVWXY"  # the letter of AA9A
INWARD = "".join(c for c in LETTERS if c not in "CIKMOV")
OUTWARD_FORMATS = {
    "A9": (FIRST, DIGITS),
    "A99": (FIRST, DIGITS, DIGITS),
    "AA9": (FIRST, SECOND, DIGITS),
    "AA99": (FIRST, SECOND, DIGITS, DIGITS),
    "A9A": (FIRST, DIGITS, THIRD),
    "AA9A": (FIRST, SECOND, DIGITS, FOURTH),
}


def is_postcode(compact: str) -> bool:
    """The oracle, on an upper-case postcode with no spaces."""
    if compact == "GIR0AA":
        return True
    outward, inward = compact[:-3], compact[-3:]
    if len(inward) != 3 or inward[0] not in DIGITS or not all(c in INWARD for c in inward[1:]):
        return False
    return any(
        len(outward) == len(allowed) and all(c in a for c, a in zip(outward, allowed, strict=True))
        for allowed in OUTWARD_FORMATS.values()
    )


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    """A valid postcode in its normal form, e.g. "SW1A 1AA"."""
    allowed = draw(st.sampled_from(list(OUTWARD_FORMATS.values())))
    outward = "".join(draw(st.sampled_from(a)) for a in allowed)
    inward = draw(st.sampled_from(DIGITS)) + draw(chars(INWARD, 2))
    return f"{outward} {inward}"


def postcode_error(value: str) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validate_postcode(value)
    [error] = excinfo.value.errors
    assert error.field == "postcode"
    return error.code


def respaced(postcode: str, spaces: list[str]) -> str:
    """The postcode with ``spaces[i]`` before character i (and none in the middle otherwise)."""
    compact = postcode.replace(" ", "")
    return "".join(s + c for s, c in zip(spaces, compact, strict=False)) + compact[len(spaces):]


whitespace = st.sampled_from(["", "", " ", "  ", "\t", "\u00a0", "\n"])


@given(postcodes(), st.lists(whitespace, max_size=8), whitespace, st.booleans())
@example("GIR 0AA", [], "", True)
@example("SW1A 1AA", ["", "", "", "", "\u00a0"], "", True)
def test_valid_postcodes_pass_in_any_case_and_spacing(
    postcode: str, spaces: list[str], trailing: str, lower: bool
) -> None:
    written = respaced(postcode, spaces) + trailing
    written = written.lower() if lower else written

    assert validate_postcode(written) == postcode


@st.composite
def postcode_near_misses(draw: st.DrawFn) -> str:
    compact = draw(postcodes()).replace(" ", "")
    edit = draw(st.sampled_from(["replace", "insert", "delete", "swap"]))
    at = draw(st.integers(0, len(compact) - 1))
    other = draw(st.sampled_from(ALNUM + LOOKALIKES + "-.,"))
    if edit == "replace":
        return compact[:at] + other + compact[at + 1:]
    if edit == "insert":
        return compact[:at] + other + compact[at:]
    if edit == "delete":
        return compact[:at] + compact[at + 1:]
    nxt = min(at + 1, len(compact) - 1)
    chars_ = list(compact)
    chars_[at], chars_[nxt] = chars_[nxt], chars_[at]
    return "".join(chars_)


@given(postcode_near_misses())
@example("SW1A\u06611AA")  # an Arabic-Indic 1
@example("\u017fW1A1AA")  # "ſ" upper-cases to "S"
@example("GIR0AB")
def test_near_miss_postcodes_pass_only_when_the_oracle_says_so(written: str) -> None:
    if written.isascii() and is_postcode(written.upper()):
        compact = written.upper()
        assert validate_postcode(written) == f"{compact[:-3]} {compact[-3:]}"
    else:
        assert postcode_error(written) == "postcode_format"


@given(postcodes(), st.sampled_from("QVX"))
def test_q_v_and_x_never_start_a_postcode(postcode: str, first: str) -> None:
    assume(not postcode.startswith("GIR"))
    assert postcode_error(first + postcode[1:]) == "postcode_format"


@given(postcodes(), st.sampled_from("CIKMOV"), st.sampled_from([-1, -2]))
def test_c_i_k_m_o_and_v_are_never_in_the_inward_code(
    postcode: str, letter: str, at: int
) -> None:
    chars_ = list(postcode)
    chars_[at] = letter

    assert postcode_error("".join(chars_)) == "postcode_format"


@given(postcodes(), st.integers(1, 2))
def test_a_short_or_missing_inward_code_is_refused(postcode: str, cut: int) -> None:
    outward = postcode.split(" ")[0]

    assert postcode_error(postcode[:-cut]) == "postcode_format"
    assert postcode_error(outward) == "postcode_format"

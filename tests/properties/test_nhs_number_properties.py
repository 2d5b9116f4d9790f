"""NHS numbers, checked against an oracle written here rather than read from the module.

REFERENCE.md: "Accept ASCII digits only (Python's \\d also matches other scripts' digits),
optionally in the 3-3-4 layout with one kind of separator. Validity is the check digit alone."

The oracle states Modulus 11 as a property of the whole number instead of computing a check
digit: with weights 10, 9, ..., 2 for the first nine digits and weight 1 for the tenth,

    a number is valid  <=>  sum(weight * digit) is divisible by 11.

Why this is the NHS rule: the check digit c is 11 - r with r = (first nine weighted) mod 11, so
(weighted nine) + c = (multiple of 11) + r + 11 - r, a multiple of 11; 11 becomes 0, still
divisible; and when r = 1 no digit 0-9 makes the sum divisible, which is the "10 means invalid"
case. Conversely a digit c making the sum divisible is c = (11 - r) mod 11, the NHS digit.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from imm_graph.errors import ValidationError
from imm_graph.validators import format_nhs_number, nhs_number_is_valid, validate_nhs_number

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
SEPARATORS = ("", " ", "-")


def is_valid(number: str) -> bool:
    """The oracle: ten ASCII digits whose weighted sum is a multiple of 11."""
    if len(number) != 10 or not all(c in "0123456789" for c in number):
        return False
    return sum(w * (ord(c) - ord("0")) for w, c in zip(WEIGHTS, number, strict=True)) % 11 == 0


def completions(first_nine: str) -> list[str]:
    """Every valid NHS number starting with these nine digits (there is one, or none)."""
    return [first_nine + c for c in "0123456789" if is_valid(first_nine + c)]


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
valid_numbers = nine_digits.map(completions).filter(bool).map(lambda found: found[0])


def refusal_code(value: str) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validate_nhs_number(value)
    [error] = excinfo.value.errors
    return error.code


def layout(number: str, first: str, second: str) -> str:
    return f"{number[:3]}{first}{number[3:6]}{second}{number[6:]}"


def other_script(digit: str, zero: str) -> str:
    """``digit`` written in the script whose zero is ``zero`` (Nd digits run 0-9 in a row)."""
    return chr(ord(zero) + int(digit))


# Zeros of Unicode decimal-digit scripts other than ASCII: fullwidth, Arabic-Indic, Devanagari...
non_ascii_zeros = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()).map(
    lambda c: chr(ord(c) - unicodedata.digit(c))
)


# --- the oracle itself ----------------------------------------------------------------------


def test_the_oracle_agrees_with_the_nhs_worked_examples() -> None:
    # NHS Data Dictionary style examples, worked in tests/test_validators.py.
    assert is_valid("9434765919") and is_valid("9434765870") and is_valid("4010232137")
    assert not is_valid("9434765918") and completions("123456789") == []


def test_a_single_changed_digit_always_changes_the_sum_mod_11() -> None:
    """The proof that one mistyped digit is always caught, checked exhaustively.

    Changing the digit of weight w by d (d in -9..9, not 0) changes the sum by w*d. 11 is prime
    and divides neither w (1..10) nor d, so it never divides w*d: the sum leaves the multiples
    of 11. Swapping two different digits a, b at weights w1 > w2 changes it by (w1-w2)*(b-a),
    with 1 <= w1-w2 <= 9: never a multiple of 11 either.
    """
    assert all((w * d) % 11 for w in range(1, 11) for d in range(-9, 10) if d)
    assert all(
        ((w1 - w2) * d) % 11
        for w1 in range(1, 11) for w2 in range(1, w1) for d in range(-9, 10) if d
    )


# --- accepted -------------------------------------------------------------------------------


@given(valid_numbers, st.sampled_from(SEPARATORS), st.sampled_from(["", " ", "\t", "  \n"]))
@example("9434765919", " ", "")
def test_valid_numbers_are_accepted_in_every_layout_and_normalised(
    number: str, separator: str, padding: str
) -> None:
    written = padding + layout(number, separator, separator) + padding

    assert validate_nhs_number(written) == number
    assert nhs_number_is_valid(written)
    assert format_nhs_number(written) == layout(number, " ", " ")


@given(nine_digits)
def test_nine_digits_have_a_valid_number_exactly_when_the_module_says_so(first: str) -> None:
    found = completions(first)
    accepted = [first + c for c in "0123456789" if nhs_number_is_valid(first + c)]

    assert accepted == found
    for c in "0123456789":
        if first + c not in found:
            assert refusal_code(first + c) == "nhs_number_checksum"


# --- refused --------------------------------------------------------------------------------


@given(valid_numbers, st.integers(0, 9), st.integers(1, 9))
def test_one_mistyped_digit_is_refused(number: str, position: int, shift: int) -> None:
    typo = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + typo + number[position + 1:]

    assert not is_valid(mistyped)
    assert refusal_code(mistyped) == "nhs_number_checksum"


@given(valid_numbers, st.integers(0, 9), st.integers(0, 9))
def test_two_swapped_digits_are_refused(number: str, i: int, j: int) -> None:
    assume(number[i] != number[j])
    digits = list(number)
    digits[i], digits[j] = digits[j], digits[i]
    swapped = "".join(digits)

    assert refusal_code(swapped) == "nhs_number_checksum"


@given(valid_numbers, non_ascii_zeros, st.sets(st.integers(0, 9), min_size=1))
@example("9434765919", "\uff10", {0})  # fullwidth ０-９
@example("9434765919", "\u0660", set(range(10)))  # Arabic-Indic ٠-٩
def test_digits_of_other_scripts_are_refused(number: str, zero: str, positions: set[int]) -> None:
    # Same values, so only the script differs: int() would read the number unchanged.
    written = "".join(
        other_script(c, zero) if i in positions else c for i, c in enumerate(number)
    )

    assert refusal_code(written) == "nhs_number_format"
    assert not nhs_number_is_valid(written)


@given(valid_numbers, st.sampled_from(SEPARATORS), st.sampled_from(SEPARATORS))
def test_mixed_separators_are_refused(number: str, first: str, second: str) -> None:
    assume(first != second)

    assert refusal_code(layout(number, first, second)) == "nhs_number_format"


@given(
    valid_numbers,
    st.sampled_from(["/", ".", "_", "  ", "\t", "--", "\u2010", "\u00a0"]),
)
def test_other_separators_are_refused(number: str, separator: str) -> None:
    assert refusal_code(layout(number, separator, separator)) == "nhs_number_format"


@given(st.text(alphabet="0123456789", min_size=0, max_size=14))
def test_anything_but_ten_digits_is_a_format_error(digits: str) -> None:
    assume(len(digits) != 10)

    assert refusal_code(digits) == "nhs_number_format"


@given(valid_numbers, st.integers(0, 9), st.characters(exclude_categories=["Nd", "Z", "Cc"]))
def test_a_digit_replaced_by_any_other_character_is_refused(
    number: str, position: int, other: str
) -> None:
    written = number[:position] + other + number[position + 1:]

    assert refusal_code(written) == "nhs_number_format"

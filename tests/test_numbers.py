"""One way to write a number (survey/numbers.py): rounding half away from zero on the decimal
value a figure stands for (never truncating), thousands with a narrow no-break space, a decimal
comma, a real minus sign, percentages, signed points and intervals."""

import decimal
import math

import pytest
from django.template import Context, Template
from hypothesis import example, given
from hypothesis import strategies as st

from survey import numbers
from survey.numbers import MINUS, NBSP, NNBSP


def reference_percent(proportion):
    """An independent reading of the rule: the decimal digits of the shortest repr, shifted
    by two places as text, then rounded half away from zero by hand on the digits."""
    text = repr(float(proportion))
    mantissa, _, exponent = text.lower().partition("e")
    sign = -1 if mantissa.startswith("-") else 1
    mantissa = mantissa.lstrip("-")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0) + 2  # ×100
    if point < 0:
        digits, point = "0" * -point + digits, 0
    digits = digits.ljust(point + 2, "0")
    tenths = int(digits[: point + 1] or "0")
    if int(digits[point + 1]) >= 5:
        tenths += 1
    return sign * tenths


def parse(text):
    """A French figure back to a number of tenths (« −1 234,5 % » → −12345)."""
    body = text.removesuffix(f"{NBSP}%").replace(NNBSP, "").replace(MINUS, "-").replace("+", "")
    whole, _, fraction = body.partition(",")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 10 + int(fraction or 0))


@pytest.mark.parametrize(
    ("proportion", "expected"),
    [
        (0.4325, "43,3 %"),  # stored as 0.43249999…: the repr's decimals decide
        (0.43249, "43,2 %"),
        (0.00045, "0,0 %"),
        (0.0005, "0,1 %"),
        (0.9995, "100,0 %"),
        (0.123456, "12,3 %"),
        (0, "0,0 %"),
        (1, "100,0 %"),
        (12.3456, f"1{NNBSP}234,6 %"),
        (-0.0215, f"{MINUS}2,2 %"),
        (-0.0004, "0,0 %"),  # no « −0,0 »
    ],
)
def test_a_proportion_is_written_as_a_rounded_percentage_never_a_truncated_one(
    proportion, expected
):
    assert numbers.percent(proportion) == expected.replace(" %", f"{NBSP}%")


def test_the_share_that_two_pages_once_wrote_differently_is_written_once():
    # « 43,3 » on one page (rounded), « 43,2 » on another (cut): the formatter rounds.
    assert numbers.percent_figure(0.4325) == "43,3"
    assert round(0.4325 * 100, 1) == 43.2  # what round() on the float says, and why it is not used


@given(st.floats(min_value=-100, max_value=100, allow_nan=False))
@example(0.4325)
@example(0.0005)
@example(0.045)
@example(-0.045)
@example(0.995)
@example(0.00999)
@example(1e-20)
@example(-0.0)
def test_a_percentage_agrees_with_rounding_the_decimal_digits_by_hand(proportion):
    written = numbers.percent(proportion)
    assert parse(written) == reference_percent(proportion)
    assert not written.startswith(f"{MINUS}0,0"), "zero has no sign"


@given(st.floats(min_value=-1, max_value=1, allow_nan=False))
@example(0.045)
@example(-0.021)
@example(0.015)
@example(0.02)
@example(-0.0199)
@example(0.0)
@example(-0.00049)
def test_points_carry_an_explicit_sign_a_real_minus_and_the_french_plural(difference):
    written = numbers.points(difference)
    figure, unit = written.split(NBSP)
    tenths = reference_percent(difference)
    assert parse(figure) == tenths
    if tenths > 0:
        assert figure.startswith("+")
    elif tenths < 0:
        assert figure.startswith(MINUS)
    else:
        assert figure == "0,0"
    assert "-" not in written
    assert unit == ("points" if abs(tenths) >= 20 else "point")


def test_points_read_as_the_issue_writes_them():
    assert numbers.points(0.045) == f"+4,5{NBSP}points"
    assert numbers.points(-0.021) == f"{MINUS}2,1{NBSP}points"
    assert numbers.points(0.455) == f"+45,5{NBSP}points"
    assert numbers.points(0.015) == f"+1,5{NBSP}point"
    assert numbers.points_interval(0.431, 0.48) == f"[+43,1{NBSP}; +48,0]"


@given(st.integers(min_value=-(10**15), max_value=10**15))
@example(0)
@example(999)
@example(1000)
@example(-1000)
@example(36336)
@example(1234567)
def test_an_integer_groups_its_thousands_with_narrow_no_break_spaces(value):
    written = numbers.integer(value)
    assert int(written.replace(NNBSP, "").replace(MINUS, "-")) == value
    groups = written.lstrip(MINUS).split(NNBSP)
    assert 1 <= len(groups[0]) <= 3
    assert all(len(group) == 3 for group in groups[1:])
    assert written.startswith(MINUS) == (value < 0)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (36336, 0, "36 336"),
        (123.5, 0, "124"),  # a half goes away from zero…
        (-123.5, 0, "−124"),  # …on either side
        (2.675, 2, "2,68"),  # stored as 2.67499999…
        (1.005, 2, "1,01"),
        (1234.25, 1, "1 234,3"),
        (-0.04, 1, "0,0"),
        (0.8125, 3, "0,813"),
        (decimal.Decimal("2.5"), 0, "3"),
    ],
)
def test_a_decimal_is_rounded_half_away_from_zero_to_the_digits_asked(value, digits, expected):
    assert numbers.decimal_number(value, digits) == expected.replace(" ", NNBSP)


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=3))
def test_a_decimal_rounded_reads_back_within_half_a_unit(value):
    written = numbers.decimal_number(value, 1)
    back = decimal.Decimal(written.replace(NNBSP, "").replace(MINUS, "-").replace(",", "."))
    assert abs(back - value) <= decimal.Decimal("0.05")


def test_an_exact_number_keeps_the_digits_it_was_given():
    assert numbers.exact(decimal.Decimal("1234.50")) == f"1{NNBSP}234,50"
    assert numbers.exact(-2942857) == f"{MINUS}2{NNBSP}942{NNBSP}857"


def test_intervals_are_written_between_brackets_with_a_french_semicolon():
    assert numbers.percent_interval(0.412, 0.453) == f"[41,2{NBSP}; 45,3]"
    assert numbers.interval(12.34, 1500.05, 1) == f"[12,3{NBSP}; 1{NNBSP}500,1]"


@pytest.mark.parametrize(
    "function",
    [
        numbers.integer,
        numbers.exact,
        numbers.percent,
        numbers.percent_figure,
        numbers.percentage,
        numbers.points,
        numbers.decimal_number,
    ],
)
@pytest.mark.parametrize("missing", [None, math.nan, decimal.Decimal("NaN")])
def test_nothing_to_show_is_written_as_a_dash(function, missing):
    assert function(missing) == "—"


def test_an_interval_with_a_missing_bound_is_a_dash():
    assert numbers.percent_interval(None, 0.4) == "—"
    assert numbers.points_interval(0.1, None) == "—"
    assert numbers.interval(None, None) == "—"


def test_templates_write_numbers_through_the_same_functions():
    rendered = Template(
        "{% load numbers %}{{ n|integer }}|{{ p|percent }}|{{ d|points }}|{{ x|decimal:2 }}|"
        "{% percent_interval low high %}|{% points_interval low high %}|{{ none|percent }}"
    ).render(Context({"n": 36336, "p": 0.4325, "d": -0.021, "x": 2.675, "low": 0.4, "high": 0.5}))
    assert rendered.split("|") == [
        numbers.integer(36336),
        numbers.percent(0.4325),
        numbers.points(-0.021),
        numbers.decimal_number(2.675, 2),
        numbers.percent_interval(0.4, 0.5),
        numbers.points_interval(0.4, 0.5),
        "—",
    ]


def test_an_admin_column_writes_a_models_number_through_the_formatter():
    from types import SimpleNamespace

    column = numbers.admin_column("population", "population")
    assert column(None, SimpleNamespace(population=2942857)) == f"2{NNBSP}942{NNBSP}857"
    assert (column.short_description, column.admin_order_field) == ("population", "population")
    assert numbers.admin_column("ratio", "ratio", 2)(None, SimpleNamespace(ratio=2.675)) == "2,68"

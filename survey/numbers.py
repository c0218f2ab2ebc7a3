"""How every number is written for people: pages, charts, emails, admin texts, export labels.

One rule in one place, low in the layers so that every app imports it. French conventions:
a decimal comma, thousands grouped by a narrow no-break space (« 36 336 »), a real minus sign
(« −2,1 »), a no-break space before « % », « point(s) » and the « ; » of an interval (as
the typography middleware would put it, so that a page and an export label agree). Figures
are rounded half away from zero on their decimal value, never truncated: a float is read
through its shortest repr, so that 0.4325 (stored as 0.43249999…) is 43,25 % and prints
« 43,3 % » (Python's round() says 43,2).
Nothing to show (None, NaN) prints « — ». Data cells of exports stay numbers: only their
labels and texts go through here.
"""

import decimal
import math

NNBSP = "\u202f"  # narrow no-break space, between groups of digits
NBSP = "\u00a0"  # no-break space, before « % » and « point(s) »
MINUS = "\u2212"
MISSING = "—"
DECIMAL_COMMA = ","


def _exact(value):
    """The decimal value a number stands for: a float by its shortest repr, not its binary."""
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number to print")
    if isinstance(value, int):
        return decimal.Decimal(value)
    return decimal.Decimal(repr(float(value)))


def _is_missing(value):
    if value is None or value == "":  # "": a template's missing variable
        return True
    if isinstance(value, decimal.Decimal):
        return not value.is_finite()
    return isinstance(value, float) and not math.isfinite(value)


def rounded(value, digits):
    """A Decimal rounded half away from zero to `digits` decimals (ROUND_HALF_UP is away from
    zero), for a data cell that must agree with the figure a page writes."""
    quantum = decimal.Decimal(1).scaleb(-digits)
    return _exact(value).quantize(quantum, rounding=decimal.ROUND_HALF_UP, context=_CONTEXT)


# Enough precision for any count or share this project prints (quantize needs the digits).
_CONTEXT = decimal.Context(prec=60)


def _write(number, sign=False):
    """A Decimal as the French write it, with every digit it has: grouped, comma, minus sign."""
    text = f"{number:f}"
    negative = text.startswith("-")
    text = text.lstrip("-")
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", NNBSP)
    body = grouped + (DECIMAL_COMMA + fraction if fraction else "")
    is_zero = number.is_zero()
    if negative and not is_zero:
        return MINUS + body
    if sign and not is_zero:
        return "+" + body
    return body


def integer(value):
    """A count or any number to the unit: 36336 → « 36 336 », 123.5 → « 124 »."""
    return decimal_number(value, 0)


def decimal_number(value, digits=1):
    """A number with `digits` decimals: 1234.25, 1 → « 1 234,3 »; −0.04, 1 → « 0,0 »."""
    if _is_missing(value):
        return MISSING
    return _write(rounded(value, digits))


def exact(value):
    """A number with the digits it was given (an answer as typed): Decimal("1234.50") →
    « 1 234,50 »; no rounding."""
    if _is_missing(value):
        return MISSING
    return _write(_exact(value))


def plain(value):
    """A number with only the digits it needs (a bound, a setting): 3.0 → « 3 », 0.30 →
    « 0,3 »."""
    if _is_missing(value):
        return MISSING
    return _write(_exact(value).normalize())


def percent_figure(proportion, digits=1):
    """A proportion as a percentage without its sign: 0.4325 → « 43,3 »."""
    if _is_missing(proportion):
        return MISSING
    return _write(rounded(_exact(proportion) * 100, digits))


def percent(proportion, digits=1):
    """A proportion as a percentage: 0.4325 → « 43,3 % »."""
    if _is_missing(proportion):
        return MISSING
    return f"{percent_figure(proportion, digits)}{NBSP}%"


def percentage(value, digits=1):
    """A number already in percent (a rate computed ×100): 12.25 → « 12,3 % »."""
    if _is_missing(value):
        return MISSING
    return f"{decimal_number(value, digits)}{NBSP}%"


def points_figure(difference, digits=1):
    """A change of proportions in signed percentage points, without the unit: 0.045 → « +4,5 »."""
    if _is_missing(difference):
        return MISSING
    return _write(rounded(_exact(difference) * 100, digits), sign=True)


def points(difference, digits=1):
    """A change of proportions in percentage points, signed: 0.045 → « +4,5 points »,
    −0.021 → « −2,1 points », 0.015 → « +1,5 point » (singular below 2, as French writes)."""
    if _is_missing(difference):
        return MISSING
    hundredths = rounded(_exact(difference) * 100, digits)
    unit = "points" if abs(hundredths) >= 2 else "point"
    return f"{_write(hundredths, sign=True)}{NBSP}{unit}"


def interval(low, high, digits=1):
    """An interval of two numbers: « [41,2 ; 45,3] »; « — » when a bound is missing."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
    return f"[{decimal_number(low, digits)}{NBSP}; {decimal_number(high, digits)}]"


def percent_interval(low, high, digits=1):
    """The interval of a proportion, in percent: 0.412, 0.453 → « [41,2 ; 45,3] »."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
    return f"[{percent_figure(low, digits)}{NBSP}; {percent_figure(high, digits)}]"


def points_interval(low, high, digits=1):
    """The interval of a change, in signed points: « [+43,1 ; +48,0] »."""
    if _is_missing(low) or _is_missing(high):
        return MISSING
    return f"[{points_figure(low, digits)}{NBSP}; {points_figure(high, digits)}]"


def admin_column(field, description, digits=0):
    """A column of the admin (list or detail) writing a model's number through this module:
    `population_text = admin_column("population", "population")` on a ModelAdmin."""

    def column(model_admin, obj):
        value = getattr(obj, field)
        return integer(value) if digits == 0 else decimal_number(value, digits)

    column.short_description = description  # what @admin.display sets
    column.admin_order_field = field
    column.__name__ = f"{field}_text"
    return column

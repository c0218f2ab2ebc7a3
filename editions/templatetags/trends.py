from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(share):
    """0.4321 → « 43,2 »."""
    return "—" if share is None else number_format(100 * share, 1)


@register.filter
def points(difference):
    """A change of shares in percentage points, signed: 0.052 → « +5,2 pts »."""
    if difference is None:
        return "—"
    sign = "+" if difference > 0 else ("−" if difference < 0 else "")
    return f"{sign}{number_format(abs(100 * difference), 1)}\u00a0pts"

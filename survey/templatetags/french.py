"""French typography in templates: see survey/typography.py."""

from django import template

from survey.typography import colon_after as _colon_after

register = template.Library()


@register.filter
def colon_after(text):
    """« Question ? » then the error, « Libellé : » then the answer; never « ? : »."""
    return _colon_after(str(text))

"""Template filters writing numbers the French way, through `survey.numbers` (one rule).

`{% load numbers %}` then `{{ count|integer }}`, `{{ share|percent }}`, `{{ change|points }}`,
`{{ value|decimal:2 }}`, `{% percent_interval low high %}`, `{% points_interval low high %}`.
"""

from django import template

from survey import numbers

register = template.Library()


@register.filter
def integer(value):
    return numbers.integer(value)


@register.filter
def decimal(value, digits=1):
    return numbers.decimal_number(value, int(digits))


@register.filter
def percent(proportion, digits=1):
    return numbers.percent(proportion, int(digits))


@register.filter
def percentage(value, digits=1):
    return numbers.percentage(value, int(digits))


@register.filter
def points(difference):
    return numbers.points(difference)


@register.simple_tag
def interval(low, high, digits=1):
    return numbers.interval(low, high, int(digits))


@register.simple_tag
def percent_interval(low, high):
    return numbers.percent_interval(low, high)


@register.simple_tag
def points_interval(low, high):
    return numbers.points_interval(low, high)


@register.filter
def exact(value):
    return numbers.exact(value)


@register.filter
def plain(value):
    return numbers.plain(value)

import math

from django import forms
from django.core.exceptions import ValidationError

from survey import numbers
from survey.questionnaire.kinds.base import NUMBER, Kind
from survey.questionnaire.models import INTEGER_RE, ungroup


def fake_bounds(question):
    low = question.min_value if question.min_value is not None else 0
    high = question.max_value if question.max_value is not None else low + 500
    return low, high


class Integer(Kind):
    code = "integer"
    label = "Nombre entier"
    typed = True
    inputmode = "numeric"
    options = ("min", "max")
    estimated_as = NUMBER
    denominator = "qui ont donné un nombre"

    def form_fields(self, question, name):
        return {name: forms.CharField()}

    def initial(self, question, value, name):
        return {name: numbers.exact(value)}

    def clean(self, question, value):
        if isinstance(value, bool):
            raise ValidationError("Saisissez un nombre entier.", code="invalid")
        if isinstance(value, str):
            text = ungroup(value)
            if not INTEGER_RE.fullmatch(text) or len(text) > 15:
                raise ValidationError(
                    "Saisissez un nombre entier en chiffres de 0 à 9, par exemple 2 942 857.",
                    code="invalid",
                )
            value = int(text)
        if not isinstance(value, int):
            raise ValidationError("Saisissez un nombre entier.", code="invalid")
        question.check_bounds(value)
        return value

    export_type = "integer"

    def fake_value(self, question, maker):
        low, high = fake_bounds(question)
        return maker.rng.randint(math.ceil(low), math.floor(high))

    def words(self, question, value):
        return numbers.exact(value)

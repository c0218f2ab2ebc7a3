import decimal
import math

from django.core.exceptions import ValidationError

from survey import numbers
from survey.questionnaire.kinds.integer import Integer, fake_bounds
from survey.questionnaire.models import DECIMAL_RE, ungroup


class Decimal(Integer):
    """Stored as a string, so that no precision is lost; typed like an integer."""

    code = "decimal"
    label = "Nombre décimal"
    inputmode = "decimal"
    takes_answers_of = ("integer",)  # every whole number is a decimal one

    def initial(self, question, value, name):
        return {name: numbers.exact(decimal.Decimal(value))}

    def clean(self, question, value):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("Saisissez un nombre.", code="invalid")
        text = ungroup(str(value)).replace(",", ".")
        if not DECIMAL_RE.fullmatch(text) or len(text) > 20:
            raise ValidationError(
                "Saisissez un nombre en chiffres de 0 à 9, par exemple 12,5.", code="invalid"
            )
        number = decimal.Decimal(text)
        question.check_bounds(number)
        return f"{number:f}"

    export_type = "number"

    def export_value(self, export, value):
        return decimal.Decimal(str(value))

    def fake_value(self, question, maker):
        low, high = fake_bounds(question)
        tenths = maker.rng.randint(math.ceil(low * 10), math.floor(high * 10))
        return str(decimal.Decimal(tenths) / 10)

    def words(self, question, value):
        return numbers.exact(decimal.Decimal(value))

    def staff_words(self, export, value):
        return numbers.exact(decimal.Decimal(str(value)))

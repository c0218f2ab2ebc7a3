from django.core.exceptions import ValidationError

from survey.enums import NO_CODE, YES_CODE
from survey.questionnaire.kinds.base import Kind


class YesNo(Kind):
    code = "yes_no"
    label = "Oui / non"

    def clean(self, question, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {YES_CODE, "true", "1"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {NO_CODE, "false", "0"}:
            return False
        raise ValidationError("Répondez par oui ou par non.", code="invalid")

    def answer_codes(self, value):
        return {YES_CODE if value else NO_CODE}

    def words(self, question, value):
        return "Oui" if value else "Non"

    staff_words = words

from django import forms
from django.core.exceptions import ValidationError

from survey.questionnaire.kinds.base import Kind
from survey.questionnaire.models import TEXT_HARD_LIMIT, clean_text, normalise_line_breaks


class ShortText(Kind):
    code = "short_text"
    label = "Texte court"
    default_limit = 255
    typed = True
    options = ("max_length",)

    free_text = True

    def export_value(self, export, value):
        return normalise_line_breaks(value)  # answers stored before they were normalised

    def form_fields(self, question, name):
        return {name: forms.CharField(strip=False)}

    def clean(self, question, value):
        if not isinstance(value, str):
            raise ValidationError("Saisissez un texte.", code="invalid")
        limit = min(question.max_length or self.default_limit, TEXT_HARD_LIMIT)
        return clean_text(value, limit) or None

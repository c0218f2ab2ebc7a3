from django import forms

from survey.questionnaire.kinds.short_text import ShortText
from survey.questionnaire.models import TEXT_HARD_LIMIT


class LongText(ShortText):
    code = "long_text"
    label = "Texte long"
    default_limit = TEXT_HARD_LIMIT
    template = "survey/kinds/textarea.html"

    def form_fields(self, question, name):
        return {name: forms.CharField(widget=forms.Textarea, strip=False)}

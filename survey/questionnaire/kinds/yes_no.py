from django import forms
from django.core.exceptions import ValidationError

from survey.enums import NO_CODE, YES_CODE
from survey.questionnaire.columns import Column
from survey.questionnaire.kinds.base import OPTIONS, Kind

YES_NO_CHOICES = [(YES_CODE, "Oui"), (NO_CODE, "Non")]


class YesNo(Kind):
    code = "yes_no"
    label = "Oui / non"
    template = "survey/kinds/choices.html"
    inline_options = True
    one_option_per_answer = True
    estimated_as = OPTIONS

    def condition_codes(self, data):
        return {YES_CODE, NO_CODE}

    def form_fields(self, question, name):
        return {name: forms.CharField(widget=forms.RadioSelect(choices=YES_NO_CHOICES))}

    def initial(self, question, value, name):
        return {name: YES_CODE if value else NO_CODE}

    def option_labels(self, question):
        return dict(YES_NO_CHOICES)

    def clean(self, question, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {YES_CODE, "true", "1"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {NO_CODE, "false", "0"}:
            return False
        raise ValidationError("Répondez par oui ou par non.", code="invalid")

    def fake_value(self, question, maker):
        return maker.rng.random() < 0.5

    def answer_codes(self, value):
        return {YES_CODE if value else NO_CODE}

    def answer_labels(self, value, labels):
        return dict(YES_NO_CHOICES)[YES_CODE if value else NO_CODE]

    def words(self, question, value):
        return self.answer_labels(value, {})

    staff_words = words

    def export_columns(self, export, description):
        question = export.question
        return [
            Column(
                export.code,
                question.text,
                description=description,
                categories=YES_NO_CHOICES,
                question=question,
            )
        ]

    def export_value(self, export, value):
        code = YES_CODE if value else NO_CODE
        return dict(YES_NO_CHOICES)[code] if export.labels else code

    def json_fields(self, export, value):
        return {"valeur": bool(value), "libelle": self.answer_labels(value, {})}

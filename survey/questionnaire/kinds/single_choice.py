from django import forms
from django.core.exceptions import ValidationError

from survey.questionnaire.columns import Column
from survey.questionnaire.kinds.base import COLON, OPTIONS, Kind
from survey.questionnaire.models import clean_text
from survey.typography import typeset


def clean_other(question, chosen, value):
    """The « Autre » text of a choice answer: required when an "other" choice is chosen."""
    other_text = value.get("other", "")
    if not isinstance(other_text, str):
        raise ValidationError("La précision doit être un texte.", code="invalid")
    other_text = clean_text(other_text, 500)
    if any(choice.is_other for choice in chosen):
        if not other_text:
            raise ValidationError(
                "Vous avez choisi « %(label)s » : précisez votre réponse.",
                code="other_missing",
                params={"label": next(c.label for c in chosen if c.is_other)},
            )
        return other_text
    return ""


def choice_labels(question):
    # Labels are typeset here: the answer is shown verbatim (what the respondent typed).
    return {choice.code: typeset(choice.label) for choice in question.active_choices}


def single_code(value):
    return value.get("choice") if isinstance(value, dict) else value


def with_other(text, value):
    other = value.get("other") if isinstance(value, dict) else None
    return f"{text} — précision : {other}" if other else text


class SingleChoice(Kind):
    code = "single_choice"
    label = "Choix unique"
    has_choices = True
    allows_other = True
    one_option_per_answer = True
    estimated_as = OPTIONS
    template = "survey/kinds/choices.html"

    def condition_codes(self, data):
        return {c.get("code") for c in data.get("choices") or [] if isinstance(c, dict)}

    def form_fields(self, question, name):
        choices = [(choice.code, choice.label) for choice in question.active_choices]
        return {name: forms.CharField(widget=forms.RadioSelect(choices=choices))}

    def initial(self, question, value, name):
        return {name: value["choice"], f"{name}-other": value.get("other", "")}

    def raw_value(self, question, data, name):
        if not data.get(name):
            return None  # a "précisez" text typed without ticking its choice is no answer
        return {"choice": data[name], "other": data.get(f"{name}-other") or ""}

    def clean(self, question, value):
        if isinstance(value, str):
            value = {"choice": value}
        if not isinstance(value, dict) or not isinstance(value.get("choice"), str):
            raise ValidationError("Choisissez une réponse dans la liste.", code="invalid")
        choice = question.choice_map().get(value["choice"])
        if choice is None:
            raise ValidationError("Cette réponse ne fait pas partie des choix proposés.", "invalid")
        cleaned = {"choice": choice.code}
        if other := clean_other(question, [choice], value):
            cleaned["other"] = other
        return cleaned

    def fake_value(self, question, maker):
        choices = question.active_choices
        choice = maker.rng.choices(choices, weights=[maker.weight(c) for c in choices])[0]
        return {"choice": choice.code, "other": maker.other(choice)}

    def answer_codes(self, value):
        return {value.get("choice")} - {None}

    def answer_labels(self, value, labels):
        code = single_code(value)
        return labels.get(code, code)

    def words(self, question, value):
        text = self.answer_labels(value, choice_labels(question))
        return f"{text}{COLON}{value['other']}" if value.get("other") else text

    def staff_words(self, export, value):
        return with_other(self.answer_labels(value, export.choice_labels), value)

    def export_columns(self, export, description):
        question = export.question
        categories = [(c.code, c.label) for c in export.choices]
        return [
            Column(
                export.code,
                question.text,
                description=description,
                categories=categories,
                question=question,
            )
        ]

    def export_cells(self, export, value):
        return [export.choice_text(single_code(value))]

    def long_rows(self, export, state, value, other):
        return [(None, state, export.choice_text(single_code(value)), other)]

    def json_fields(self, export, value):
        return {
            "valeur": single_code(value),
            "libelle": self.answer_labels(value, export.choice_labels),
        }

from django import forms
from django.core.exceptions import ValidationError

from survey.questionnaire.columns import CHECKED_CATEGORIES, Column
from survey.questionnaire.kinds.base import COLON, OPTIONS, SEMICOLON, Kind
from survey.questionnaire.kinds.single_choice import choice_labels, clean_other, with_other


def multiple_codes(value):
    codes = value.get("choices", []) if isinstance(value, dict) else value
    return list(codes or [])


class MultipleChoice(Kind):
    code = "multiple_choice"
    label = "Choix multiple"
    has_choices = True
    options = ("max_choices",)
    allows_exclusive = True
    allows_other = True
    template = "survey/kinds/choices.html"
    estimated_as = OPTIONS
    denominator = (
        "qui ont coché au moins une réponse (plusieurs réponses possibles : le total peut "
        "dépasser 100 %)"
    )

    def choice_limit(self, question):
        return question.max_choices

    def check_options(self, where, data):
        problems = super().check_options(where, data)
        if "max_choices" in data and (
            not isinstance(data["max_choices"], int) or data["max_choices"] < 1
        ):
            problems.append(f"{where} : « max_choices » doit être un entier positif.")
        return problems

    def condition_codes(self, data):
        return {c.get("code") for c in data.get("choices") or [] if isinstance(c, dict)}

    def form_fields(self, question, name):
        choices = [(choice.code, choice.label) for choice in question.active_choices]
        return {name: forms.Field(widget=forms.CheckboxSelectMultiple(choices=choices))}

    def initial(self, question, value, name):
        return {name: value["choices"], f"{name}-other": value.get("other", "")}

    def raw_value(self, question, data, name):
        chosen = data.get(name) or []
        chosen = [code for code in (chosen if isinstance(chosen, list) else [chosen]) if code]
        return {"choices": chosen, "other": data.get(f"{name}-other") or ""}

    def clean(self, question, value):
        if isinstance(value, list):
            value = {"choices": value}
        codes = value.get("choices") if isinstance(value, dict) else None
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ValidationError("Choisissez une ou plusieurs réponses.", code="invalid")
        if not codes:
            return None
        choice_map = question.choice_map()
        unknown = [code for code in codes if code not in choice_map]
        if unknown:
            raise ValidationError(
                "Ces réponses ne font pas partie des choix proposés : %(codes)s.",
                code="invalid",
                params={"codes": ", ".join(unknown)[:200]},
            )
        chosen = [choice for choice in question.active_choices if choice.code in codes]
        exclusive = [choice for choice in chosen if choice.is_exclusive]
        if exclusive and len(chosen) > 1:
            raise ValidationError(
                "« %(label)s » ne peut pas être combiné avec une autre réponse.",
                code="exclusive",
                params={"label": exclusive[0].label},
            )
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValidationError(
                "Choisissez au plus %(max)s réponses.",
                code="max_choices",
                params={"max": question.max_choices},
            )
        cleaned = {"choices": [choice.code for choice in chosen]}
        if other := clean_other(question, chosen, value):
            cleaned["other"] = other
        return cleaned

    def fake_value(self, question, maker):
        rng = maker.rng
        exclusive = [c for c in question.active_choices if c.is_exclusive]
        regular = [c for c in question.active_choices if not c.is_exclusive]
        if exclusive and (not regular or rng.random() < 0.08):
            return {"choices": [rng.choice(exclusive).code]}
        most = min(question.max_choices or 4, len(regular))
        chosen = rng.sample(regular, rng.randint(1, most))
        other = next((maker.other(c) for c in chosen if c.is_other), "")
        return {"choices": [c.code for c in chosen], "other": other}

    def answer_codes(self, value):
        return set(value.get("choices", []))

    def answer_labels(self, value, labels):
        return [labels.get(code, code) for code in multiple_codes(value)]

    def words(self, question, value):
        parts = self.answer_labels(value, choice_labels(question))
        if value.get("other"):
            parts[-1] = f"{parts[-1]}{COLON}{value['other']}"
        return SEMICOLON.join(parts)

    def staff_words(self, export, value):
        return with_other(" ; ".join(self.answer_labels(value, export.choice_labels)), value)

    def export_columns(self, export, description):
        title = export.question.text
        return [
            Column(
                f"{export.code}__{choice.code}",
                f"{title} — {choice.label}",
                "integer",
                f"1 si « {choice.label} » a été coché, 0 sinon. {description}",
                categories=CHECKED_CATEGORIES,
                question=export.question,
            )
            for choice in export.choices
        ]

    def export_width(self, export):
        return len(export.choices)

    def export_cells(self, export, value):
        chosen = set(multiple_codes(value))
        return [1 if code in chosen else 0 for code in export.choice_codes]

    def long_rows(self, export, state, value, other):
        other_codes = {c.code for c in export.choices if c.is_other}
        return [
            (None, state, export.choice_text(code), other if code in other_codes else None)
            for code in multiple_codes(value)
        ]

    def json_fields(self, export, value):
        return {
            "valeur": multiple_codes(value),
            "libelle": self.answer_labels(value, export.choice_labels),
        }

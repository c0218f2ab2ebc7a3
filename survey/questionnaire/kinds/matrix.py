from django import forms
from django.core.exceptions import ValidationError

from survey.questionnaire.columns import ANSWERED_STATE, NOT_ANSWERED_STATE, Column
from survey.questionnaire.kinds.base import COLON, OPTIONS, SEMICOLON, Kind, is_empty
from survey.questionnaire.kinds.single_choice import choice_labels
from survey.typography import typeset


class Matrix(Kind):
    """Rows (MatrixItem) each rated on the question's choices: {"item": "choice", ...}."""

    code = "matrix"
    label = "Matrice"
    has_choices = True
    has_items = True
    template = "survey/kinds/matrix.html"
    estimated_as = OPTIONS
    denominator = "qui ont répondu pour cette ligne"

    def used_codes(self, value):
        return set(value) | set(value.values())

    def form_fields(self, question, name):
        choices = [(choice.code, choice.label) for choice in question.active_choices]
        return {
            f"{name}-{item.code}": forms.CharField(widget=forms.RadioSelect(choices=choices))
            for item in question.active_items
        }

    def initial(self, question, value, name):
        return {f"{name}-{item_code}": choice_code for item_code, choice_code in value.items()}

    def raw_value(self, question, data, name):
        return {item.code: data.get(f"{name}-{item.code}") or ""
                for item in question.active_items}  # fmt: skip

    def error_field(self, question, name):
        return f"{name}-{question.active_items[0].code}"

    def clean(self, question, value):
        if not isinstance(value, dict):
            raise ValidationError("Répondez ligne par ligne.", code="invalid")
        items = {item.code for item in question.active_items}
        choices = question.choice_map()
        cleaned = {}
        for item_code, choice_code in value.items():
            if item_code not in items:
                raise ValidationError("Une ligne de ce tableau est inconnue.", code="invalid")
            if is_empty(choice_code):
                continue
            if choice_code not in choices:
                raise ValidationError(
                    "Cette réponse ne fait pas partie de l'échelle proposée.", code="invalid"
                )
            cleaned[item_code] = choice_code
        ordered = [item.code for item in question.active_items if item.code in cleaned]
        return {code: cleaned[code] for code in ordered} or None

    def fake_value(self, question, maker):
        choices = question.active_choices
        weights = [maker.weight(c) for c in choices]
        return {
            item.code: maker.rng.choices(choices, weights=weights)[0].code
            for item in question.active_items
            if question.required or maker.rng.random() < 0.9
        }

    def missing_parts(self, question, cleaned_value):
        return [item.label for item in question.active_items if item.code not in cleaned_value]

    def answer_labels(self, value, labels):
        """{row code: label of its answer}."""
        return {item: labels.get(code, code) for item, code in value.items()}

    def words(self, question, value):
        answers = self.answer_labels(value, choice_labels(question))
        items = {item.code: typeset(item.label) for item in question.active_items}
        return SEMICOLON.join(f"{items.get(i, i)}{COLON}{text}" for i, text in answers.items())

    def staff_words(self, export, value):
        """(row, answer) pairs: the admin shows a matrix as a table."""
        answers = self.answer_labels(value, export.choice_labels)
        return [(export.item_labels.get(item, item), text) for item, text in answers.items()]

    def export_columns(self, export, description):
        title = export.question.text
        categories = [(c.code, c.label) for c in export.choices]
        return [
            Column(
                f"{export.code}__{item.code}",
                f"{title} — {item.label}",
                description=description,
                categories=categories,
                question=export.question,
            )
            for item in export.items
        ]

    def export_width(self, export):
        return len(export.items)

    def export_cells(self, export, value):
        return [export.choice_text(value.get(code)) for code in export.item_codes]

    def long_missing(self, export, state):
        return [(export.item_text(item.code), state, None, None) for item in export.items]

    def long_rows(self, export, state, value, other):
        rows = []
        for item in export.items:
            code = value.get(item.code)
            item_state = ANSWERED_STATE if code else NOT_ANSWERED_STATE
            rows.append((export.item_text(item.code), item_state, export.choice_text(code), None))
        return rows

    def json_fields(self, export, value):
        return {
            "valeur": dict(value),
            "libelle": self.answer_labels(value, export.choice_labels),
        }

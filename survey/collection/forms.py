"""The questionnaire page form, built from the section's Question rows.

Fields only collect raw input: every answer is validated by `Question.clean_answer`, the same
rule the admin and the importers use.
"""

import hashlib
import json
import re

from django import forms
from django.core.exceptions import ValidationError

from survey.addresses import PlainEmailField
from survey.typography import typeset

# A question's own buttons (« Ajouter un projet », « Retirer ce projet ») post
# "verb:question code[:index]" under this name; they work without JavaScript.
ACTION_FIELD = "question-action"
ACTION_PATTERN = re.compile(r"^([a-z]+):([a-z][a-z0-9_]*)(?::(\d{1,3}))?$")


def field_name(question, suffix=""):
    return f"q-{question.code}{'-' + suffix if suffix else ''}"


def fingerprint(value):
    """A short digest of an answer value, to tell later whether a page changed it."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class SectionForm(forms.Form):
    """One page of the questionnaire.

    `values` are the response's saved answers ({code: value}); they give the initial values
    and decide which questions are asked. With `require_complete`, required questions that
    are asked must be answered (« Enregistrer et continuer »); otherwise only invalid values
    are refused (« Enregistrer et reprendre plus tard », « Précédent », autosave).
    """

    def __init__(
        self,
        section,
        values,
        *args,
        require_complete=False,
        partial=False,
        suggestions=None,
        **kwargs,
    ):
        self.section = section
        self.values = values
        self.require_complete = require_complete
        # Autosave posts only the fields that changed: absent questions are left alone.
        self.partial = partial
        # Last edition's answers of the collectivité, shown to confirm where nothing is saved.
        self.suggestions = {
            code: value for code, value in (suggestions or {}).items() if code not in values
        }
        self.asked_questions = self._asked_questions()
        kwargs.setdefault("initial", self._initial_from(self.suggestions | values))
        super().__init__(*args, **kwargs)
        for question in self.asked_questions:
            self._add_fields(question)

    def _asked_questions(self):
        """The section's questions whose condition does not depend on a false earlier answer."""
        codes_here = {question.code for question in self.section.asked}
        return [
            question
            for question in self.section.asked
            if question.condition_question_id is None
            or question.condition_question.code in codes_here
            or question.is_shown(self.values)
        ]

    # -- Fields ------------------------------------------------------------------------------

    def _add_fields(self, question):
        # The fields only read and check what is posted: each kind's template draws the inputs.
        self.fields.update(question.kind_class.page_fields(question, field_name(question), self))
        if any(choice.is_other for choice in question.active_choices):
            self.fields[field_name(question, "other")] = forms.CharField(strip=False)
        for field in self._fields_of(question):
            field.required = False

    def _fields_of(self, question):
        prefix = field_name(question)
        return [
            field
            for name, field in self.fields.items()
            if name == prefix or name.startswith(prefix + "-")
        ]

    def _initial_from(self, values):
        initial = {}
        for question in self.section.asked:
            value = values.get(question.code)
            name = field_name(question)
            if value is None:
                continue
            initial.update(question.kind_class.initial(question, value, name))
        return initial

    def apply_question_action(self, data):
        """Apply the question button that was pressed to a copy of the posted `data`; return
        (the changed data, the sentence to show, the question's code), or None when no known
        button was pressed."""
        match = ACTION_PATTERN.match(str(data.get(ACTION_FIELD, "")))
        if match is None:
            return None
        verb, code, index = match.groups()
        question = next((q for q in self.asked_questions if q.code == code), None)
        if question is None:
            return None
        data = data.copy()
        del data[ACTION_FIELD]
        message = question.kind_class.apply_action(
            question, data, field_name(question), verb, None if index is None else int(index)
        )
        return None if message is None else (data, message, code)

    # -- Validation --------------------------------------------------------------------------

    def raw_value(self, question):
        """The input for `question`, shaped as `clean_answer` expects it."""
        return question.kind_class.raw_value(question, self.cleaned_data, field_name(question))

    def _is_posted(self, question):
        prefix = field_name(question)
        return any(key == prefix or key.startswith(prefix + "-") for key in self.data)

    def clean(self):
        self.cleaned_answers = {}
        values = dict(self.values)
        for question in self.asked_questions:
            if self.partial and not self._is_posted(question):
                continue
            try:
                value = question.clean_answer(self.raw_value(question))
            except ValidationError as error:
                self.add_error(self._error_field(question), error)
                continue
            values[question.code] = value
            self.cleaned_answers[question] = value
        # Conditions may depend on answers of this very page: decide once everything is read.
        for question in list(self.cleaned_answers):
            if not question.is_shown(values):
                del self.cleaned_answers[question]
                continue
            if self.require_complete:
                try:
                    question.check_required(self.cleaned_answers[question])
                except ValidationError as error:
                    self.add_error(self._error_field(question), error)
        return self.cleaned_data

    # -- What this page changed ------------------------------------------------------------

    def shown(self):
        """The answers as the page displays them ("code:fingerprint ..."), posted back with it.

        A bound form carries what was posted: the answers as they were first displayed.
        """
        if self.is_bound and "shown" in self.data:
            return self.data["shown"]
        return self._shown_string(
            {q.code: fingerprint(self.values.get(q.code)) for q in self.asked_questions}
        )

    def _posted_shown(self):
        pairs = (item.partition(":") for item in str(self.data.get("shown", "")).split())
        return {code: digest for code, _, digest in pairs if digest}

    @staticmethod
    def _shown_string(digests):
        return " ".join(f"{code}:{digest}" for code, digest in digests.items())

    def changed_answers(self):
        """The cleaned answers this page changed, compared to what it displayed.

        A page saved from a stale tab must not write back the old values it merely
        displayed over answers saved since elsewhere. Without `shown`, everything counts.
        """
        shown = self._posted_shown()
        return {
            question: value
            for question, value in self.cleaned_answers.items()
            if shown.get(question.code) != fingerprint(value)
        }

    def shown_after_conflict(self, newer):
        """`shown` once the newer answers ({Question: value}) of a conflict are displayed."""
        shown = self._posted_shown()
        shown.update({question.code: fingerprint(value) for question, value in newer.items()})
        return self._shown_string(shown)

    def refused(self):
        """The questions whose value was refused, with their messages (for autosave)."""
        rows = []
        for question in self.asked_questions:
            names = [self._error_field(question), field_name(question, "other")]
            errors = [str(error) for name in names for error in self.errors.get(name, [])]
            if errors:
                text = typeset(f"« {question.text} » — {' '.join(errors)}")
                rows.append({"code": question.code, "text": text})
        return rows

    def _error_field(self, question):
        return question.kind_class.error_field(question, field_name(question))

    # -- Rendering helpers ---------------------------------------------------------------------

    def blocks(self):
        """What the template needs for each question, in order."""
        blocks = []
        numbers = {q.code: n for n, q in enumerate(self.asked_questions, start=1)}
        # A condition's parent as this page holds it, with its choices already read (the
        # question's own `condition_question` is another object, whose choices would cost a
        # query per dependent question).
        on_page = {q.code: q for q in self.asked_questions}
        for number, question in enumerate(self.asked_questions, start=1):
            name = field_name(question)
            main = self[name] if name in self.fields else None
            other = self[f"{name}-other"] if f"{name}-other" in self.fields else None
            items = [
                (item, self[field_name(question, item.code)]) for item in question.active_items
            ]
            errors = self.errors.get(self._error_field(question), [])
            if other is not None and other.errors:
                errors = [*errors, *other.errors]
            blocks.append(
                {
                    "number": number,
                    "question": question,
                    "name": name,
                    "field": main,
                    "other": other,
                    "other_code": next((c.code for c in question.active_choices if c.is_other), ""),
                    "exclusive_codes": [c.code for c in question.active_choices if c.is_exclusive],
                    "items": items,
                    "parts": question.kind_class.sub_blocks(self, question, name),
                    "errors": errors,
                    "anchor": self._anchor(question, main, items),
                    "grouped": not question.kind_class.typed,
                    "template": question.kind_class.template,
                    "inline": question.kind_class.inline_options,
                    "inputmode": question.kind_class.inputmode,
                    "max_choices": question.kind_class.choice_limit(question),
                    "condition": self._condition(question, numbers, on_page),
                    "suggested": not self.is_bound and question.code in self.suggestions,
                }
            )
        return blocks

    @property
    def shows_suggestions(self):
        """Some of the page's inputs hold last edition's answers, not saved yet."""
        return not self.is_bound and any(
            question.code in self.suggestions for question in self.asked_questions
        )

    @staticmethod
    def _condition(question, numbers, on_page):
        """For a question that depends on an answer of the same page: what the script needs."""
        parent = question.condition_question
        if parent is None or parent.code not in numbers:
            return None
        parent = on_page[parent.code]
        labels = parent.kind_class.option_labels(parent)
        wanted = [f"« {labels[code]} »" for code in question.condition_codes if code in labels]
        return {
            "parent": field_name(parent),
            "parent_code": parent.code,
            "codes": question.condition_codes,
            "labels": " ou ".join(wanted),
            "number": numbers[parent.code],
        }

    @staticmethod
    def _anchor(question, main, items):
        bound = main if main is not None else items[0][1]
        return bound.auto_id if question.kind_class.typed else f"{bound.auto_id}_0"


class StartForm(forms.Form):
    email = PlainEmailField(
        label="Votre adresse électronique (facultatif)",
        required=False,
        help_text="Pour recevoir votre lien personnel de reprise. Elle n'est pas liée à vos "
        "réponses dans les exports.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ResumeByEmailForm(forms.Form):
    email = PlainEmailField(
        label="Votre adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AccessRequestForm(forms.Form):
    email = PlainEmailField(
        label="Votre adresse électronique",
        help_text="Pour recevoir votre lien personnel si votre demande est acceptée.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

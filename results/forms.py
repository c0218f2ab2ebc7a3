from django import forms
from django.conf import settings

from results.coverage import LEVELS


class CoverageForm(forms.Form):
    niveau = forms.ChoiceField(label="Détail par", choices=LEVELS.items(), required=False)
    objectif = forms.DecimalField(
        label="Taux de réponse visé (%)",
        min_value=0,
        max_value=100,
        decimal_places=1,
        localize=True,
        required=False,
        help_text="Les lignes sous ce taux sont signalées.",
        error_messages={"invalid": "Saisissez un pourcentage, par exemple 10 ou 12,5."},
    )

    def _valid(self, name):
        """The field's value if it is valid, whatever the other field holds (a mistyped rate
        keeps the chosen level); None when unbound or invalid."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    def target_rate(self):
        rate = self._valid("objectif")
        return settings.COVERAGE_TARGET_RATE if rate is None else rate

    def level(self):
        return self._valid("niveau") or "strate"


class DomainForm(forms.Form):
    """The domain a results page shows, among those the computation has (GET, no script)."""

    domaine = forms.ChoiceField(label="Domaine", required=False)

    def __init__(self, data, domains):
        super().__init__(data)
        self.fields["domaine"].choices = domains

    def domain(self):
        choices = self.fields["domaine"].choices
        if self.is_valid() and self.cleaned_data["domaine"]:
            return self.cleaned_data["domaine"]
        codes = [code for code, _ in choices]
        return "toutes" if "toutes" in codes else (codes[0] if codes else "toutes")


class CrossForm(forms.Form):
    """The question whose options split the respondents into columns (GET, no script)."""

    croiser = forms.ChoiceField(label="Croiser avec", required=False)

    def __init__(self, data, questions):
        super().__init__(data)
        self.questions = {question.code: question for question in questions}
        self.fields["croiser"].choices = [("", "—")] + [
            (question.code, f"{question.code} — {question.text[:80]}")
            for question in self.questions.values()
        ]

    def other(self):
        if self.is_valid() and self.cleaned_data["croiser"]:
            return self.questions[self.cleaned_data["croiser"]]
        return None


class PublicationForm(forms.Form):
    """Which questions of an edition appear on its public results page."""

    questions = forms.MultipleChoiceField(label="Questions publiées", required=False)

    def __init__(self, data, edition):
        super().__init__(data)
        self.edition = edition
        self.questions_by_code = {
            question.code: question
            for question in edition.questions.select_related("section").order_by(
                "section__position", "position"
            )
        }
        self.fields["questions"].choices = [
            (code, question.text) for code, question in self.questions_by_code.items()
        ]

    def sections(self):
        """[(section, [(question, checked, publishable)])], in the questionnaire's order: the
        page lists each section's questions with their full wording."""
        data = self.data
        checked = set(data.getlist("questions") if hasattr(data, "getlist") else data["questions"])
        grouped = {}
        for code, question in self.questions_by_code.items():
            grouped.setdefault(question.section, []).append(
                (question, code in checked, not question.kind_class.free_text)
            )
        return list(grouped.items())

    def section_questions(self, slug):
        """The publishable questions of the section `slug` (« tout cocher » in a section)."""
        return [
            question
            for question in self.questions_by_code.values()
            if question.section.slug == slug and not question.kind_class.free_text
        ]

    def clean_questions(self):
        refused = [
            code
            for code in self.cleaned_data["questions"]
            if self.questions_by_code[code].kind_class.free_text
        ]
        if refused:
            raise forms.ValidationError(
                "Les réponses en texte libre ne sont jamais publiées : décochez "
                + ", ".join(f"« {code} »" for code in refused)
                + "."
            )
        return [self.questions_by_code[code] for code in self.cleaned_data["questions"]]

"""The respondent's structure: a collectivité from the official list, or « Autre structure »."""

from typing import NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property

from survey.collectivites.models import Collectivite
from survey.collectivites.search import clean_siren


class OtherStructure(NamedTuple):
    name: str
    siren: str


class CollectivitePickerForm(forms.Form):
    """Rendered by templates/survey/includes/collectivite_picker.html.

    After validation, `cleaned_data["structure"]` (also `form.structure`) is either a
    Collectivite or an OtherStructure(name, siren). `prefill` is a picker code coming back
    from the no-JavaScript flow (`?collectivite=<SIREN>`).
    """

    collectivite = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    other_structure = forms.BooleanField(
        label="Ma structure n’est pas dans la liste (autre structure)",
        required=False,
        help_text="Par exemple un syndicat mixte ou un opérateur public de services numériques.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    other_name = forms.CharField(
        label="Nom de la structure",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "organization"}),
    )
    other_siren = forms.CharField(
        label="SIREN de la structure",
        max_length=30,
        required=False,
        help_text="9 chiffres, par exemple 123 456 782. Un SIRET (14 chiffres) convient aussi.",
        widget=forms.TextInput(
            attrs={"class": "form-control", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, prefill=None, **kwargs):
        super().__init__(*args, **kwargs)
        if prefill and not self.is_bound:
            self.initial["collectivite"] = prefill

    @cached_property
    def chosen(self):
        """The collectivité currently picked (bound or prefilled), for display; or None."""
        code = self["collectivite"].value()
        return Collectivite.objects.by_code(code) if isinstance(code, str) else None

    def has_input(self):
        """Whether anything was chosen or typed (a draft may leave the choice for later)."""
        return any(
            self.data.get(self.add_prefix(name))
            for name in ("collectivite", "other_structure", "other_name", "other_siren")
        )

    @property
    def structure(self):
        return self.cleaned_data["structure"]

    def clean_collectivite(self):
        code = self.cleaned_data["collectivite"].strip()
        if not code:
            return None
        collectivite = Collectivite.objects.by_code(code)
        if collectivite is None:
            raise ValidationError(
                "Cette collectivité est introuvable : recherchez-la à nouveau.", code="unknown"
            )
        return collectivite

    def clean_other_name(self):
        return " ".join(self.cleaned_data["other_name"].split())

    def clean_other_siren(self):
        value = self.cleaned_data["other_siren"].strip()
        return clean_siren(value) if value else ""

    def clean(self):
        data = super().clean()
        if not data.get("other_structure"):
            if "collectivite" in self.errors:
                return data
            if data.get("collectivite") is None:
                self.add_error(
                    "collectivite",
                    ValidationError(
                        "Choisissez votre collectivité dans la liste. Si elle n’y est pas, "
                        "ouvrez « Votre structure n’est pas dans la liste ? ».",
                        code="required",
                    ),
                )
                return data
            data["structure"] = data["collectivite"]
            return data

        if not data.get("other_name"):
            self.add_error("other_name", "Indiquez le nom de votre structure.")
        siren = data.get("other_siren")
        if not siren and "other_siren" not in self.errors:
            self.add_error("other_siren", "Indiquez le SIREN de votre structure.")
        listed = Collectivite.objects.filter(siren=siren).first() if siren else None
        if listed:
            # Otherwise a listed collectivité could be answered for twice.
            self.add_error(
                "other_siren",
                ValidationError(
                    "Ce SIREN est celui de « %(name)s », qui figure dans la liste : "
                    "choisissez-la dans la recherche.",
                    code="listed",
                    params={"name": listed},
                ),
            )
        if not self.errors:
            data["structure"] = OtherStructure(data["other_name"], siren)
        return data

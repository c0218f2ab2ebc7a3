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

    def target_rate(self):
        if self.is_valid() and self.cleaned_data["objectif"] is not None:
            return self.cleaned_data["objectif"]
        return settings.COVERAGE_TARGET_RATE

    def level(self):
        if self.is_valid() and self.cleaned_data["niveau"]:
            return self.cleaned_data["niveau"]
        return "strate"

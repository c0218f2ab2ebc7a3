from django import forms

from survey.exports.formats import exporter_choices
from survey.exports.options import DEFAULT_STATUS, ExportOptions, status_choices
from survey.permissions import VIEW_CONTACT_DETAILS
from survey.questionnaire.models import BAROMETER_SURVEY, Edition


class ExportForm(forms.Form):
    """The options of an export, from the admin's export page or its action on a selection."""

    edition = forms.ModelChoiceField(
        Edition.objects.all(), label="Édition", empty_label=None, required=False
    )
    format = forms.ChoiceField(label="Format", choices=exporter_choices, initial="csv")
    status = forms.ChoiceField(label="Réponses", choices=status_choices, initial=DEFAULT_STATUS)
    labels = forms.BooleanField(
        label="Libellés au lieu des codes",
        required=False,
        help_text="CSV et Excel. Le JSON donne toujours les codes et les libellés ; "
        "le jeu de données ouvertes, toujours les codes.",
    )
    # Defaults for the common case, Excel in French: a comma-separated file without a BOM
    # opens there as one column of garbled accents.
    delimiter = forms.ChoiceField(
        label="Séparateur (CSV)",
        choices=[
            (";", "Point-virgule : pour Excel en français"),
            (",", "Virgule : pour R, Python, LibreOffice ou un tableur en anglais"),
        ],
        initial=";",
        required=False,
    )
    bom = forms.BooleanField(
        label="Marque d'encodage UTF-8 (BOM) : pour qu'Excel lise bien les accents",
        required=False,
        initial=True,
        help_text="Pour Excel : point-virgule et BOM (réglages par défaut). Pour R, Python ou "
        "un outil de traitement de données : virgule, sans BOM.",
    )
    free_text = forms.BooleanField(
        label="Publier les réponses en texte libre (données ouvertes)",
        required=False,
        help_text="À relire avant publication : un texte libre peut contenir des données "
        "personnelles.",
    )
    contacts = forms.BooleanField(
        label="Inclure les coordonnées des répondants",
        required=False,
        help_text="Jamais dans le jeu de données ouvertes.",
    )

    def __init__(self, *args, user, with_edition=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_edition:
            self.fields["edition"].required = True
            self.fields["edition"].initial = Edition.objects.current(BAROMETER_SURVEY)
        else:
            del self.fields["edition"]
        # Contact details are only for those allowed to see them.
        if not user.has_perm(VIEW_CONTACT_DETAILS):
            del self.fields["contacts"]

    def options(self):
        data = self.cleaned_data
        return ExportOptions(
            status=data["status"],
            labels=data["labels"],
            delimiter=data["delimiter"] or ",",
            bom=data["bom"],
            free_text=data["free_text"],
            contacts=data.get("contacts", False),
        )

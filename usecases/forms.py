from django import forms

from survey.enums import CollectiviteKind


class CatalogueSearchForm(forms.Form):
    """The catalogue's search and filters: a plain GET form, no JavaScript."""

    q = forms.CharField(label="Rechercher", required=False, max_length=100)
    domaine = forms.ChoiceField(label="Domaine", required=False)
    stade = forms.ChoiceField(label="Stade", required=False)
    type = forms.ChoiceField(
        label="Type de collectivité",
        required=False,
        choices=[("", "Tous les types"), *CollectiviteKind.choices],
    )

    etiquette = forms.ChoiceField(label="Étiquette", required=False)

    def __init__(self, data, domains, stages, tags=()):
        super().__init__(data)
        self.fields["domaine"].choices = [("", "Tous les domaines"), *domains]
        self.fields["stade"].choices = [("", "Tous les stades"), *stages]
        self.fields["etiquette"].choices = [("", "Toutes les étiquettes")] + [
            (name, name) for name in tags
        ]

    def filter(self, use_cases):
        """The use cases (a list) that match the search and the filters."""
        if not self.is_valid():
            return use_cases
        data = self.cleaned_data
        words = data["q"].casefold().split()
        kept = []
        for use_case in use_cases:
            if data["domaine"] and use_case.domain != data["domaine"]:
                continue
            if data["stade"] and use_case.stage != data["stade"]:
                continue
            collectivite = use_case.response.collectivite
            if data["type"] and (collectivite is None or collectivite.kind != data["type"]):
                continue
            if data["etiquette"] and data["etiquette"] not in use_case.tag_names:
                continue
            if words and not all(word in use_case.search_text for word in words):
                continue
            kept.append(use_case)
        return kept

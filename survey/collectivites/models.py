"""The official list of collectivités (see data/README.md)."""

from django.db import models

from survey.enums import CollectiviteKind, PopulationBand


class CollectiviteQuerySet(models.QuerySet):
    def by_code(self, code):
        """The collectivité a picker value names: its SIREN, or the INSEE code of a commune
        that has none (some communes of the collectivités d'outre-mer)."""
        code = (code or "").strip().upper()
        if len(code) == 9 and code.isdigit():
            return self.filter(siren=code).first()
        if len(code) == 5 and code.isalnum():
            return self.filter(
                kind=CollectiviteKind.COMMUNE, insee_code=code, siren__isnull=True
            ).first()
        return None

    def regions(self):
        """[(code, name)] of the régions, each once, by name. The model's ordering by name is
        cleared first: left in, it would add the name to the DISTINCT and give one row per
        collectivité."""
        rows = (
            self.exclude(region_code="")
            .order_by()
            .values("region_code")
            .annotate(name=models.Max("region_name"))
        )
        return sorted(
            ((row["region_code"], row["name"] or row["region_code"]) for row in rows),
            key=lambda region: region[1],
        )


class Collectivite(models.Model):
    """A collectivité territoriale from the official reference data (see data/README.md)."""

    kind = models.CharField("type", max_length=20, choices=CollectiviteKind)
    epci_nature = models.CharField(
        "nature de l'EPCI", max_length=10, blank=True, help_text="CC, CA, CU, METRO ou MET69."
    )
    # A few communes of the collectivités d'outre-mer have no SIREN in the reference data.
    siren = models.CharField("SIREN", max_length=9, unique=True, null=True, blank=True)
    insee_code = models.CharField("code INSEE", max_length=5, blank=True, db_index=True)
    name = models.CharField("nom", max_length=200)
    departement_code = models.CharField("département", max_length=3, blank=True)
    departement_name = models.CharField("nom du département", max_length=100, blank=True)
    region_code = models.CharField("région", max_length=3, blank=True)
    region_name = models.CharField("nom de la région", max_length=100, blank=True)
    population = models.PositiveIntegerField("population", default=0)
    population_band = models.CharField(
        "strate de population", max_length=20, choices=PopulationBand, blank=True
    )
    postcodes = models.CharField("codes postaux", max_length=500, blank=True)
    search_text = models.TextField("texte de recherche", blank=True, editable=False)

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["name"]

    def __str__(self):
        if self.place:
            return f"{self.name} — {self.place}"
        return self.name

    @property
    def code(self):
        """What a picker sends back: the SIREN, or the INSEE code when there is none."""
        return self.siren or self.insee_code

    @property
    def place(self):
        """Where it is, to tell homonyms apart: « Loire (42) », or the région's name."""
        if self.kind == CollectiviteKind.REGION:
            return ""
        if self.departement_code and self.departement_name:
            return f"{self.departement_name} ({self.departement_code})"
        return self.departement_code or self.region_name

    @property
    def kind_label(self):
        if self.kind == CollectiviteKind.EPCI and self.epci_nature:
            return EPCI_NATURE_LABELS.get(self.epci_nature, "EPCI")
        return self.get_kind_display()


EPCI_NATURE_LABELS = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
    "METRO": "Métropole",
    "MET69": "Métropole de Lyon",
}

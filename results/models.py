"""The sampling frame of an edition: the official list of collectivités frozen into strata.

Later changes to the list (a reload of data/collectivites-*.csv.gz, a merger of communes) must
not change a past edition's results: the frame copies what it needs (stratum, région,
département, population) instead of reading the live list. Weights and estimates build on it.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from results.statistics import Publication
from survey import numbers
from survey.enums import CollectiviteKind, PopulationBand
from survey.models import Collectivite, Edition


class Stratum(models.TextChoices):
    """Stable stratum codes: weights and published tables refer to them across editions."""

    COMMUNE_UNDER_3500 = "commune-lt3500", "Communes de moins de 3 500 habitants"
    COMMUNE_3500_10000 = "commune-3500-10000", "Communes de 3 500 à 10 000 habitants"
    COMMUNE_10000_100000 = "commune-10000-100000", "Communes de 10 000 à 100 000 habitants"
    COMMUNE_OVER_100000 = "commune-gt100000", "Communes de plus de 100 000 habitants"
    EPCI_CC = "epci-cc", "Communautés de communes"
    EPCI_CA = "epci-ca", "Communautés d'agglomération"
    EPCI_CU = "epci-cu", "Communautés urbaines"
    EPCI_METROPOLE = "epci-metropole", "Métropoles"
    DEPARTEMENT = "departement", "Départements"
    REGION = "region", "Régions"
    STATUT_PARTICULIER = "statut-particulier", "Collectivités à statut particulier"

    @classmethod
    def for_collectivite(cls, collectivite):
        """The stratum of a collectivité of the official list (None if it fits none)."""
        kind = collectivite.kind
        if kind == CollectiviteKind.COMMUNE:
            return COMMUNE_STRATA[PopulationBand.for_population(collectivite.population)]
        if kind == CollectiviteKind.EPCI:
            return EPCI_STRATA.get(collectivite.epci_nature)
        return OTHER_STRATA.get(kind)


COMMUNE_STRATA = {
    PopulationBand.UNDER_3500: Stratum.COMMUNE_UNDER_3500,
    PopulationBand.FROM_3500_TO_10000: Stratum.COMMUNE_3500_10000,
    PopulationBand.FROM_10000_TO_100000: Stratum.COMMUNE_10000_100000,
    PopulationBand.OVER_100000: Stratum.COMMUNE_OVER_100000,
}
EPCI_STRATA = {
    "CC": Stratum.EPCI_CC,
    "CA": Stratum.EPCI_CA,
    "CU": Stratum.EPCI_CU,
    "METRO": Stratum.EPCI_METROPOLE,
    "MET69": Stratum.EPCI_METROPOLE,
}
OTHER_STRATA = {
    CollectiviteKind.DEPARTEMENT: Stratum.DEPARTEMENT,
    CollectiviteKind.REGION: Stratum.REGION,
    CollectiviteKind.STATUT_PARTICULIER: Stratum.STATUT_PARTICULIER,
}


class FrameError(Exception):
    """Why a frame cannot be frozen, in French for staff."""


class FrameQuerySet(models.QuerySet):
    def for_edition(self, edition, now=None):
        """The edition's frame; frozen on first use once the edition has opened."""
        frame = self.filter(edition=edition).first()
        if frame is None and not edition.has_not_opened(now):
            frame = Frame.freeze(edition)
        return frame


class Frame(models.Model):
    """The official list of collectivités as it stood for one edition."""

    edition = models.OneToOneField(
        Edition, on_delete=models.PROTECT, related_name="frame", verbose_name="édition"
    )
    frozen_at = models.DateTimeField("figée le")
    source = models.CharField("source", max_length=300)
    collectivite_count = models.PositiveIntegerField("collectivités", default=0)
    population = models.PositiveBigIntegerField("population", default=0)

    objects = FrameQuerySet.as_manager()

    class Meta:
        verbose_name = "base de sondage"
        verbose_name_plural = "bases de sondage"
        ordering = ["-edition__year"]
        permissions = [("view_coverage", "Voir le suivi de la collecte")]

    def __str__(self):
        return f"Base de sondage — {self.edition}"

    @classmethod
    def freeze(cls, edition, *, force=False, now=None, source=None):
        """Snapshot the current official list into the edition's frame.

        An existing frame is kept unless force is given, and force is refused once the edition
        has opened: a frame that respondents were counted against never changes.
        """
        now = now or timezone.now()
        with transaction.atomic():
            # Serialise concurrent freezes of the same edition.
            Edition.objects.select_for_update().filter(pk=edition.pk).first()
            existing = cls.objects.filter(edition=edition).first()
            if existing is not None:
                if not force:
                    raise FrameError(
                        f"La base de sondage de l'édition {edition.year} est déjà figée "
                        f"(le {timezone.localtime(existing.frozen_at):%d/%m/%Y à %H:%M})."
                    )
                if not edition.has_not_opened(now):
                    raise FrameError(
                        f"L'édition {edition.year} est ouverte depuis le "
                        f"{timezone.localtime(edition.opens_at):%d/%m/%Y} : "
                        "sa base de sondage ne peut plus être refigée."
                    )
                existing.delete()
            frame = cls.objects.create(
                edition=edition,
                frozen_at=now,
                source=source or default_source(),
            )
            frame._fill()
        return frame

    def _fill(self):
        collectivites = Collectivite.objects.only(
            "pk",
            "kind",
            "epci_nature",
            "population",
            "region_code",
            "region_name",
            "departement_code",
        ).order_by("pk")
        strata = {
            code: self.strata.model(frame=self, code=code, label=code.label) for code in Stratum
        }
        for stratum in strata.values():
            stratum.collectivite_count = 0
            stratum.population = 0
        rows = []
        for collectivite in collectivites.iterator(chunk_size=5000):
            code = Stratum.for_collectivite(collectivite)
            if code is None:
                continue
            strata[code].collectivite_count += 1
            strata[code].population += collectivite.population
            rows.append((collectivite, code))
        if not rows:
            raise FrameError("La liste officielle des collectivités est vide : chargez-la d'abord.")
        FrameStratum.objects.bulk_create(strata.values())
        members = [
            FrameMember(
                frame=self,
                collectivite_id=collectivite.pk,
                stratum=strata[code],
                region_code=collectivite.region_code,
                region_name=collectivite.region_name,
                departement_code=collectivite.departement_code,
                population=collectivite.population,
            )
            for collectivite, code in rows
        ]
        FrameMember.objects.bulk_create(members, batch_size=5000)
        cells = (
            FrameMember.objects.filter(frame=self)
            .values("stratum", "region_code", "region_name")
            .annotate(n=Count("pk"), population_sum=Sum("population"))
            .order_by()
        )
        FrameCell.objects.bulk_create(
            FrameCell(
                stratum_id=cell["stratum"],
                region_code=cell["region_code"],
                region_name=cell["region_name"],
                collectivite_count=cell["n"],
                population=cell["population_sum"] or 0,
            )
            for cell in cells
        )
        self.collectivite_count = len(members)
        self.population = sum(stratum.population for stratum in strata.values())
        self.save(update_fields=["collectivite_count", "population"])


def default_source():
    from survey.collectivites.search import DEFAULT_DATA_FILE

    return f"Liste officielle des collectivités ({DEFAULT_DATA_FILE.name})"


class FrameStratum(models.Model):
    """One stratum of a frame: its size N_h and its population."""

    frame = models.ForeignKey(
        Frame, on_delete=models.CASCADE, related_name="strata", verbose_name="base de sondage"
    )
    code = models.CharField("code", max_length=30, choices=Stratum)
    label = models.CharField("libellé", max_length=100)
    collectivite_count = models.PositiveIntegerField("collectivités (N)")
    population = models.PositiveBigIntegerField("population")

    class Meta:
        verbose_name = "strate"
        verbose_name_plural = "strates"
        ordering = ["frame", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "code"],
                name="frame_stratum_unique_code",
                violation_error_message="Cette strate existe déjà dans la base de sondage.",
            )
        ]

    def __str__(self):
        return self.label


class FrameCell(models.Model):
    """A stratum within one région: N and population, for post-stratification by région."""

    stratum = models.ForeignKey(
        FrameStratum, on_delete=models.CASCADE, related_name="cells", verbose_name="strate"
    )
    region_code = models.CharField("région", max_length=3, blank=True)
    region_name = models.CharField("nom de la région", max_length=100, blank=True)
    collectivite_count = models.PositiveIntegerField("collectivités (N)")
    population = models.PositiveBigIntegerField("population")

    class Meta:
        verbose_name = "strate par région"
        verbose_name_plural = "strates par région"
        ordering = ["stratum", "region_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["stratum", "region_code"],
                name="frame_cell_unique_region",
                violation_error_message="Cette région figure déjà dans la strate.",
            )
        ]

    def __str__(self):
        return f"{self.stratum} — {self.region_name or self.region_code}"


class FrameMember(models.Model):
    """A collectivité of the frame, with what it was when the frame was frozen."""

    frame = models.ForeignKey(
        Frame, on_delete=models.CASCADE, related_name="members", verbose_name="base de sondage"
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="+", verbose_name="collectivité"
    )
    stratum = models.ForeignKey(
        FrameStratum, on_delete=models.CASCADE, related_name="members", verbose_name="strate"
    )
    region_code = models.CharField("région", max_length=3, blank=True)
    region_name = models.CharField("nom de la région", max_length=100, blank=True)
    departement_code = models.CharField("département", max_length=3, blank=True)
    population = models.PositiveIntegerField("population")

    class Meta:
        verbose_name = "collectivité de la base de sondage"
        verbose_name_plural = "collectivités de la base de sondage"
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "collectivite"],
                name="frame_member_once",
                violation_error_message="Cette collectivité figure déjà dans la base de sondage.",
            )
        ]

    def __str__(self):
        return f"{self.collectivite_id} ({self.stratum_id})"


# --- Weights and estimates -------------------------------------------------------------------
#
# `compute_results --edition YEAR` writes one Computation with its Weights (one per sent response
# of the frame) and its Estimates (one per question, domain, matrix row and option); the staff
# and public pages only read them. A later run adds a new Computation: the latest one is current.


class Reliability(models.TextChoices):
    """What the publication rule (`results.statistics`, NCHS 2017) decided for a figure, then
    complementary suppression (WITHHELD: a publishable figure hidden so that a suppressed one
    cannot be worked out from the published ones, results/suppression.py)."""

    PUBLISHED = Publication.PUBLISHED, "Publié"
    CAUTION = Publication.CAUTION, "À interpréter avec prudence"
    SUPPRESSED = Publication.SUPPRESSED, "Non publié"
    WITHHELD = "masque", "Masqué (protège une case non publiée)"

    @classmethod
    def hidden(cls):
        """The flags of figures whose value, interval and count no public page or file shows."""
        return (cls.SUPPRESSED, cls.WITHHELD)


class Statistic(models.TextChoices):
    PROPORTION = "proportion", "Proportion"
    MEAN = "moyenne", "Moyenne"
    MEDIAN = "mediane", "Médiane"


class ComputationQuerySet(models.QuerySet):
    def current(self, edition):
        """The latest computation of the edition's results (None before the first)."""
        return self.filter(edition=edition).order_by("-computed_at", "-pk").first()


class Computation(models.Model):
    """One run of the weighting and estimation for an edition, with its method's figures."""

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="computations", verbose_name="édition"
    )
    frame = models.ForeignKey(
        Frame, on_delete=models.PROTECT, related_name="computations", verbose_name="base de sondage"
    )
    computed_at = models.DateTimeField("calculé le")
    respondent_count = models.PositiveIntegerField(
        "réponses pondérées (n)", help_text="Réponses envoyées par des collectivités de la base."
    )
    other_structure_count = models.PositiveIntegerField(
        "réponses d'autres structures",
        default=0,
        help_text="Hors liste officielle : comptées à part, jamais pondérées.",
    )
    method = models.TextField("méthode de pondération")
    collapsed_strata = models.JSONField(
        "strates regroupées",
        default=list,
        blank=True,
        help_text="Strates sans répondant, regroupées selon la règle documentée "
        "(liste de {« strate », « regroupée avec »}).",
    )
    factor_min = models.FloatField("facteur d'ajustement minimal")
    factor_max = models.FloatField("facteur d'ajustement maximal")
    weight_min = models.FloatField("poids minimal")
    weight_max = models.FloatField("poids maximal")
    kish_efficiency = models.FloatField("efficacité de Kish")
    effective_n = models.FloatField("taille effective de l'échantillon")
    interval_method = models.CharField("méthode des intervalles", max_length=200)
    duration_seconds = models.FloatField("durée du calcul (s)", default=0)

    objects = ComputationQuerySet.as_manager()

    class Meta:
        verbose_name = "calcul des résultats"
        verbose_name_plural = "calculs des résultats"
        ordering = ["-computed_at"]
        permissions = [("view_results", "Voir les résultats pondérés")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(factor_min__gt=0)
                & models.Q(factor_max__gte=models.F("factor_min")),
                name="computation_factors_positive_and_ordered",
                violation_error_message="Facteurs d'ajustement positifs et ordonnés.",
            ),
            models.CheckConstraint(
                condition=models.Q(kish_efficiency__gt=0) & models.Q(kish_efficiency__lte=1),
                name="computation_kish_efficiency_in_range",
                violation_error_message="L'efficacité de Kish est comprise entre 0 et 1.",
            ),
        ]

    def __str__(self):
        return (
            f"Résultats {self.edition.year} — {timezone.localtime(self.computed_at):%d/%m/%Y %H:%M}"
        )


class Weight(models.Model):
    """The calibrated weight of one sent response of the frame in one computation."""

    computation = models.ForeignKey(
        Computation, on_delete=models.CASCADE, related_name="weights", verbose_name="calcul"
    )
    response = models.ForeignKey(
        "survey.Response", on_delete=models.CASCADE, related_name="weights", verbose_name="réponse"
    )
    stratum = models.CharField("strate", max_length=30, choices=Stratum)
    weighting_cell = models.CharField(
        "cellule de pondération",
        max_length=30,
        choices=Stratum,
        help_text="La strate, ou celle avec laquelle elle a été regroupée faute de répondant.",
    )
    region_code = models.CharField("région", max_length=3, blank=True)
    value = models.FloatField("poids")

    class Meta:
        verbose_name = "poids"
        verbose_name_plural = "poids"
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "response"],
                name="weight_once_per_response",
                violation_error_message="Cette réponse a déjà un poids dans ce calcul.",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gt=0),
                name="weight_positive",
                violation_error_message="Un poids est strictement positif.",
            ),
        ]

    def __str__(self):
        return f"{self.response_id} : {numbers.decimal_number(self.value, 3)}"


class Estimate(models.Model):
    """One published figure: a proportion, mean or median of a question in one domain.

    Domains are codes: ``toutes`` (every collectivité), ``3500-plus`` (collectivités of 3,500
    inhabitants or more), ``type:<CollectiviteKind>``, ``strate:<Stratum>``, ``region:<code>``.
    For a matrix, ``row_code`` names the row; ``choice_code`` is empty for a mean or median.
    """

    computation = models.ForeignKey(
        Computation, on_delete=models.CASCADE, related_name="estimates", verbose_name="calcul"
    )
    question = models.ForeignKey(
        "survey.Question", on_delete=models.CASCADE, related_name="+", verbose_name="question"
    )
    domain = models.CharField("domaine", max_length=40)
    domain_label = models.CharField("libellé du domaine", max_length=200)
    row_code = models.CharField("ligne", max_length=60, blank=True)
    choice_code = models.CharField("option", max_length=60, blank=True)
    statistic = models.CharField(
        "statistique", max_length=20, choices=Statistic, default=Statistic.PROPORTION
    )
    base = models.CharField(
        "dénominateur",
        max_length=300,
        help_text="Qui compte au dénominateur (avec ou sans « Je ne sais pas », "
        "hors collectivités à qui la question n'a pas été posée).",
    )
    n = models.PositiveIntegerField("effectif non pondéré de l'option")
    base_n = models.PositiveIntegerField("effectif non pondéré du dénominateur")
    value = models.FloatField("estimation")
    ci_low = models.FloatField("borne basse (IC 95 %)", null=True)
    ci_high = models.FloatField("borne haute (IC 95 %)", null=True)
    cv = models.FloatField("coefficient de variation", null=True)
    effective_n = models.FloatField("effectif effectif", null=True)
    reliability = models.CharField("fiabilité", max_length=20, choices=Reliability)

    class Meta:
        verbose_name = "estimation"
        verbose_name_plural = "estimations"
        ordering = ["computation", "question__section__position", "question__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "computation",
                    "question",
                    "domain",
                    "row_code",
                    "choice_code",
                    "statistic",
                ],
                name="estimate_once_per_cell",
                violation_error_message="Cette estimation existe déjà pour ce calcul.",
            ),
            models.CheckConstraint(
                condition=models.Q(n__lte=models.F("base_n")),
                name="estimate_n_within_base",
                violation_error_message="L'effectif de l'option dépasse celui du dénominateur.",
            ),
        ]

    def __str__(self):
        return f"{self.question_id} · {self.domain} · {self.row_code}{self.choice_code}"

    @property
    def option(self):
        """What the figure is of, as its permalink names it: the option's code for a
        proportion, « moyenne » or « mediane » for a number."""
        return self.choice_code if self.statistic == Statistic.PROPORTION else self.statistic


class Publication(models.Model):
    """A question that staff chose to publish on the public results page of its edition."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="publications", verbose_name="édition"
    )
    question = models.ForeignKey(
        "survey.Question", on_delete=models.CASCADE, related_name="+", verbose_name="question"
    )
    published_at = models.DateTimeField("publiée le", default=timezone.now)

    class Meta:
        verbose_name = "question publiée"
        verbose_name_plural = "questions publiées"
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "question"],
                name="publication_once_per_question",
                violation_error_message="Cette question est déjà publiée.",
            )
        ]

    def __str__(self):
        return f"{self.edition.year} · {self.question.code}"

    def clean(self):
        """Free text is never published; a question is published in its own edition."""
        if self.question_id is None:
            return
        question = self.question
        if question.kind_class.free_text:
            raise ValidationError(
                {
                    "question": f"La question « {question.code} » est en texte libre : "
                    "les réponses en texte libre ne sont jamais publiées."
                }
            )
        if self.edition_id is not None and question.edition_id != self.edition_id:
            raise ValidationError(
                {"question": f"La question « {question.code} » n'est pas de cette édition."}
            )

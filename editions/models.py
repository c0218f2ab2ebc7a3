"""Editions whose answers were collected elsewhere, known by their published figures.

The Observatoire published, for 2023, a table of counts per stratum and per option
(`../shared/context/2023/`). Imported here (`import_published_counts`), with the national counts
of its strata, it gives that edition's estimates by the same post-stratification as the
collected editions, on the coarser strata it has (editions/estimates.py).
"""

from django.db import models
from django.db.models import F, Q

from survey import numbers
from survey.models import Edition, Question


class PublishedStratum(models.TextChoices):
    """The strata of the published tables (coarser than a frame: EPCI are one stratum)."""

    COMMUNE_UNDER_3500 = "commune-lt3500", "Communes de moins de 3 500 habitants"
    COMMUNE_3500_10000 = "commune-3500-10000", "Communes de 3 500 à 10 000 habitants"
    COMMUNE_10000_100000 = "commune-10000-100000", "Communes de 10 000 à 100 000 habitants"
    COMMUNE_OVER_100000 = "commune-gt100000", "Communes de plus de 100 000 habitants"
    EPCI_EXCEPT_METROPOLE = "epci-hors-metropole", "EPCI (hors métropoles)"
    EPCI_METROPOLE = "epci-metropole", "Métropoles"
    DEPARTEMENT = "departement", "Départements"
    REGION = "region", "Régions"
    OTHER = "autre", "Autres structures (hors liste officielle)"


class PublishedTotal(models.TextChoices):
    """The total rows of a published table."""

    RAW = "brut", "Total"
    WITHOUT_SMALL_COMMUNES = "hors-communes-lt3500", "Total hors communes < 3 500 habitants"
    WEIGHTED = "pondere", "Total pondéré"


class NationalCount(models.Model):
    """N_h: how many collectivités a stratum had nationally, as the edition's report used it."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="national_counts", verbose_name="édition"
    )
    stratum = models.CharField("strate", max_length=30, choices=PublishedStratum)
    collectivite_count = models.PositiveIntegerField("collectivités (N)")
    source = models.CharField("source", max_length=300)

    class Meta:
        verbose_name = "effectif national d'une strate"
        verbose_name_plural = "effectifs nationaux des strates"
        ordering = ["edition", "stratum"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "stratum"],
                name="national_count_once_per_stratum",
                violation_error_message="Cette strate a déjà son effectif national.",
            ),
            models.CheckConstraint(
                condition=~Q(stratum=PublishedStratum.OTHER),
                name="national_count_only_for_strata_of_the_list",
                violation_error_message="Les autres structures n'ont pas d'effectif national.",
            ),
        ]

    def __str__(self):
        count = numbers.integer(self.collectivite_count)
        return f"{self.edition.year} · {self.get_stratum_display()} : {count}"


class PublishedCount(models.Model):
    """One published cell: in a stratum, how many respondents chose an option of a question.

    `choice_code` is empty for « Sans réponse » (saw the question and left it).
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="published_counts", verbose_name="question"
    )
    stratum = models.CharField("strate", max_length=30, choices=PublishedStratum)
    choice_code = models.CharField("réponse", max_length=60, blank=True)
    occurrences = models.PositiveIntegerField("occurrences")
    answered = models.PositiveIntegerField("nombre de réponses")
    respondents = models.PositiveIntegerField("effectif de la strate")

    class Meta:
        verbose_name = "effectif publié"
        verbose_name_plural = "effectifs publiés"
        ordering = ["question", "stratum", "choice_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "stratum", "choice_code"],
                name="published_count_once_per_cell",
                violation_error_message="Cette case du tableau publié existe déjà.",
            ),
            models.CheckConstraint(
                condition=Q(occurrences__lte=F("respondents")) & Q(answered__lte=F("respondents")),
                name="published_count_within_the_stratum",
                violation_error_message="Un effectif dépasse celui de la strate.",
            ),
        ]

    def __str__(self):
        return f"{self.question.code} · {self.stratum} · {self.choice_code or 'sans réponse'}"


class PublishedPercentage(models.Model):
    """A total row's percentage as the edition published it (rounded as printed then).

    The totals are not recomputed here: « Total » and « Total hors communes < 3 500 » are the
    raw shares of every respondent (« Sans réponse » included); « Total pondéré » is the report's
    weighted share, which gave weight 0 to communes under 3,500 inhabitants
    (`editions.estimates.weighted_total_as_in_2023` reproduces it).
    """

    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="published_percentages",
        verbose_name="question",
    )
    total = models.CharField("total", max_length=30, choices=PublishedTotal)
    choice_code = models.CharField("réponse", max_length=60, blank=True)
    percentage = models.DecimalField("pourcentage publié", max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = "pourcentage publié d'un total"
        verbose_name_plural = "pourcentages publiés des totaux"
        ordering = ["question", "total", "choice_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "total", "choice_code"],
                name="published_percentage_once_per_total",
                violation_error_message="Ce total du tableau publié existe déjà.",
            ),
            models.CheckConstraint(
                condition=Q(percentage__gte=0) & Q(percentage__lte=100),
                name="published_percentage_between_0_and_100",
                violation_error_message="Un pourcentage est compris entre 0 et 100.",
            ),
        ]

    def __str__(self):
        answer = self.choice_code or "sans réponse"
        return f"{self.question.code} · {self.get_total_display()} · {answer}"

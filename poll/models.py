"""The citizens' poll run with a polling institute's panel.

A panel respondent arrives through a link carrying the panel's id (`?pid=`), answers in one
sitting, and is sent back to the institute's URL for their outcome. Answers are an ordinary
`Response` of the poll's edition (same engine, same saving); what is particular to panel
fieldwork lives here: the institute's URLs, the quotas, each sitting's outcome and its
quality flags.
"""

import hashlib
import hmac
import re
import secrets
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from poll.profile import PROFILE_QUESTIONS, is_screened_out, profile_of
from survey import numbers
from survey.collection.models import Response, hash_token
from survey.questionnaire.models import Edition, Question

PANEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,99}")  # a spreadsheet reads no formula
PID_PLACEHOLDER = "{pid}"


def validate_outcome_url(url):
    if PID_PLACEHOLDER not in url:
        raise ValidationError(
            "L'adresse doit contenir {pid}, remplacé par l'identifiant du répondant dans le panel."
        )


class Outcome(models.TextChoices):
    """Where a sitting ended, in the panel providers' convention."""

    IN_PROGRESS = "in_progress", "En cours"
    COMPLETE = "complete", "Complet"
    SCREENED_OUT = "screenout", "Hors cible"
    QUOTA_FULL = "quotafull", "Quota atteint"


class Fieldwork(models.Model):
    """How a poll edition is run with the institute: its return URLs and quality rules."""

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="fieldwork", verbose_name="édition"
    )
    institute = models.CharField("institut", max_length=200)
    complete_url = models.URLField(
        "adresse de retour : questionnaire complet",
        max_length=500,
        validators=[validate_outcome_url],
        help_text="Fournie par l'institut ; {pid} y est remplacé par l'identifiant du panel.",
    )
    screenout_url = models.URLField(
        "adresse de retour : hors cible", max_length=500, validators=[validate_outcome_url]
    )
    quotafull_url = models.URLField(
        "adresse de retour : quota atteint", max_length=500, validators=[validate_outcome_url]
    )
    min_seconds = models.PositiveIntegerField(
        "durée minimale (secondes)",
        default=180,
        help_text="Une réponse plus rapide est signalée comme trop rapide.",
    )
    straightlining_rows = models.PositiveSmallIntegerField(
        "lignes pour repérer les réponses en ligne droite",
        default=5,
        help_text="Une grille d'au moins autant de lignes toutes cochées dans la même colonne "
        "est signalée.",
    )
    attention_question = models.CharField(
        "question de contrôle d'attention", max_length=60, default="risques"
    )
    attention_row = models.CharField(
        "ligne de contrôle d'attention", max_length=60, default="controle_attention", blank=True
    )
    attention_answer = models.CharField(
        "réponse attendue au contrôle d'attention", max_length=60, default="peu_preoccupant"
    )
    link_secret = models.CharField(
        "secret partagé des liens signés",
        max_length=200,
        blank=True,
        help_text="Tel que l'institut le donne. Renseigné, chaque lien doit porter « sig », "
        "la signature HMAC-SHA256 (en hexadécimal) de l'identifiant du panel avec ce secret ; "
        "un lien sans signature valable est refusé. Vide : les liens ne sont pas signés.",
    )

    class Meta:
        verbose_name = "terrain du sondage"
        verbose_name_plural = "terrains du sondage"

    def __str__(self):
        return f"Terrain du sondage « {self.edition} »"

    def origins(self):
        """The institute's sites (scheme and host) that respondents are sent back to."""
        urls = [self.complete_url, self.screenout_url, self.quotafull_url]
        return sorted({f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in urls})

    def signature(self, panel_id):
        """The institute's signature of a panel id: HMAC-SHA256 with the shared secret, hex."""
        key = self.link_secret.encode()
        return hmac.new(key, panel_id.encode(), hashlib.sha256).hexdigest()

    def accepts(self, panel_id, signature):
        """Whether a link with `panel_id` and `signature` comes from the institute (any link
        does when no secret is set)."""
        if not self.link_secret:
            return True
        if not isinstance(signature, str) or len(signature) > 200:
            return False
        given = signature.strip().lower().encode("utf-8", errors="replace")
        return hmac.compare_digest(self.signature(panel_id).encode(), given)

    def outcome_url(self, outcome, panel_id):
        """The institute's URL for `outcome`, with the respondent's panel id."""
        template = {
            Outcome.COMPLETE: self.complete_url,
            Outcome.SCREENED_OUT: self.screenout_url,
            Outcome.QUOTA_FULL: self.quotafull_url,
        }[outcome]
        return template.replace(PID_PLACEHOLDER, quote(panel_id, safe=""))


class Dimension(models.TextChoices):
    AGE_SEX = "age_sexe", "Âge × sexe"
    REGION = "region", "Région"


class QuotaFull(Exception):
    """A quota cell of the respondent's profile has no room left."""


class QuotaQuerySet(models.QuerySet):
    def cells_for(self, edition, profile):
        """The quota cells a respondent with `profile` (poll.profile.profile_of) counts in."""
        return (
            self.filter(edition=edition)
            .filter(
                Q(dimension=Dimension.AGE_SEX, age=profile["age"], sex=profile["sex"])
                | Q(dimension=Dimension.REGION, region=profile["region"])
            )
            .order_by("pk")
        )

    def claim(self, edition, profile):
        """Count one complete in every cell of `profile`, or raise QuotaFull and count none.

        Each cell is one conditional UPDATE (`completes < target`): PostgreSQL locks the row
        and re-checks the condition after a concurrent update commits, so a cell never goes
        beyond its target whatever the concurrency. Cells are taken in primary-key order so
        that two respondents never wait on each other crosswise.
        """
        return self.claim_cells(self.cells_for(edition, profile).values_list("pk", flat=True))

    def claim_cells(self, pks):
        """Count one complete in each of the cells `pks`, or raise QuotaFull and count none;
        returns the cells counted."""
        pks = sorted(pks)
        with transaction.atomic():
            for pk in pks:
                claimed = self.filter(pk=pk, completes__lt=F("target")).update(
                    completes=F("completes") + 1
                )
                if not claimed:
                    raise QuotaFull  # leaves the block: the cells counted so far roll back
        return pks

    def release_cells(self, pks):
        """Give back one complete's place in each of the cells `pks` (an exclusion)."""
        with transaction.atomic():
            for pk in sorted(pks):  # the claims' order: no two transactions wait crosswise
                self.filter(pk=pk, completes__gt=0).update(completes=F("completes") - 1)

    def full_for(self, edition, profile):
        """Whether a cell of `profile` is already full (a read, for an early quota-full)."""
        return self.cells_for(edition, profile).filter(completes__gte=F("target")).exists()


QUOTA_FIELDS = ("age", "sex", "region")


def profile_answers(edition):
    """{age|sex|region: (question text, [(code, label)])}: the answers of `edition`'s profile
    questions, the only values a quota cell can match."""
    questions = {
        question.code: question
        for question in Question.objects.filter(
            edition=edition, code__in=[PROFILE_QUESTIONS[key] for key in QUOTA_FIELDS]
        ).prefetch_related("choices")
    }
    answers = {}
    for key in QUOTA_FIELDS:
        question = questions.get(PROFILE_QUESTIONS[key])
        if question is not None:
            choices = [(choice.code, choice.label) for choice in question.active_choices]
            answers[key] = (question.text, choices)
    return answers


class Quota(models.Model):
    """A target number of completes in one cell (age band × sex, or région), set by staff."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="quotas", verbose_name="édition"
    )
    dimension = models.CharField("critère", max_length=10, choices=Dimension)
    age = models.CharField("tranche d'âge", max_length=30, blank=True)
    sex = models.CharField("sexe", max_length=30, blank=True)
    region = models.CharField("région", max_length=60, blank=True)
    target = models.PositiveIntegerField("objectif")
    completes = models.PositiveIntegerField("complets", default=0, editable=False)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        verbose_name = "quota"
        verbose_name_plural = "quotas"
        ordering = ["dimension", "age", "sex", "region"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completes__lte=F("target")),
                name="quota_never_beyond_its_target",
                violation_error_message="Un quota ne peut pas dépasser son objectif.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(dimension=Dimension.AGE_SEX, region="") & ~Q(age="") & ~Q(sex="")
                    | Q(dimension=Dimension.REGION, age="", sex="") & ~Q(region="")
                ),
                name="quota_cell_matches_its_dimension",
                violation_error_message=(
                    "Un quota âge × sexe indique l'âge et le sexe ; un quota régional, la région."
                ),
            ),
            models.UniqueConstraint(
                fields=["edition", "dimension", "age", "sex", "region"],
                name="one_quota_per_cell",
                violation_error_message="Ce quota existe déjà pour cette édition.",
            ),
        ]

    def __str__(self):
        cell = f"{self.age} × {self.sex}" if self.dimension == Dimension.AGE_SEX else self.region
        return f"{cell} : {self.completes}/{self.target}"

    def unmatched(self, answers=None):
        """[(field, message)]: the values of this cell that no answer of the edition's profile
        questions has, so that no respondent would ever count in it (the cell would never
        fill: silently unlimited)."""
        answers = profile_answers(self.edition) if answers is None else answers
        problems = []
        for field in QUOTA_FIELDS:
            value = getattr(self, field)
            if not value:
                continue
            if field not in answers:
                problems.append(
                    (field, "Le questionnaire de cette édition n'a pas cette question.")
                )
                continue
            text, choices = answers[field]
            if value not in {code for code, _ in choices}:
                labels = " ; ".join(label for _, label in choices)
                problems.append(
                    (
                        field,
                        f"« {value} » n'est pas une réponse de la question « {text} » : "
                        f"choisissez parmi {labels}.",
                    )
                )
        return problems

    def clean(self):
        super().clean()
        if self.edition_id is not None:
            problems = self.unmatched()
            if problems:
                raise ValidationError(dict(problems))


class Flag(models.TextChoices):
    TOO_FAST = "trop_rapide", "Trop rapide"
    STRAIGHTLINING = "ligne_droite", "Réponses en ligne droite"
    ATTENTION = "attention", "Contrôle d'attention manqué"


class ParticipationQuerySet(models.QuerySet):
    def counted(self):
        """Completes that count in the results: all but those staff excluded."""
        return self.filter(outcome=Outcome.COMPLETE, excluded=False)


class Participation(models.Model):
    """One panel respondent's sitting: who to send back where, and how it went."""

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="participations", verbose_name="édition"
    )
    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, related_name="participation", verbose_name="réponse"
    )
    panel_id = models.CharField(
        "identifiant du panel",
        max_length=100,
        help_text="Sert seulement à renvoyer le répondant vers l'institut.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    outcome = models.CharField("issue", max_length=12, choices=Outcome, default=Outcome.IN_PROGRESS)
    started_at = models.DateTimeField("commencé le", default=timezone.now)
    ended_at = models.DateTimeField("terminé le", null=True, blank=True)
    flags = models.JSONField("signalements", default=list, blank=True, editable=False)
    excluded = models.BooleanField(
        "exclue des résultats",
        default=False,
        help_text="Décision de l'équipe, après examen des signalements.",
    )
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="exclue par",
    )
    excluded_at = models.DateTimeField("exclue le", null=True, blank=True)
    quotas = models.ManyToManyField(
        Quota,
        blank=True,
        related_name="participations",
        verbose_name="quotas où elle compte",
        help_text="Les cellules qui l'ont comptée à la fin du questionnaire ; une exclusion y "
        "libère sa place.",
    )
    weight = models.FloatField(
        "poids",
        null=True,
        blank=True,
        editable=False,
        help_text="Celui du dernier calcul des poids accepté (commande weigh_poll ou action "
        "« Calculer les poids » des marges de redressement).",
    )

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        verbose_name = "participation au sondage"
        verbose_name_plural = "participations au sondage"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "panel_id"],
                name="one_sitting_per_panel_id_and_edition",
                violation_error_message="Cet identifiant de panel a déjà répondu.",
            ),
            models.CheckConstraint(
                condition=Q(outcome=Outcome.IN_PROGRESS) | Q(ended_at__isnull=False),
                name="ended_sitting_has_an_end",
                violation_error_message="Une participation terminée a une date de fin.",
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | Q(outcome=Outcome.COMPLETE),
                name="only_completes_are_excluded",
                violation_error_message="Seule une réponse complète peut être exclue.",
            ),
        ]

    def __str__(self):
        return f"Participation {self.response.public_id[:8]}"

    @classmethod
    def start(cls, edition, panel_id):
        """A new sitting with its empty response; returns it with the browser's token."""
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            response = Response.objects.create(edition=edition)
            participation = cls.objects.create(
                edition=edition,
                response=response,
                panel_id=panel_id,
                token_hash=hash_token(token),
            )
        return participation, token

    @classmethod
    def find(cls, token):
        if not token:
            return None
        return (
            cls.objects.select_related("response__edition__fieldwork", "edition")
            .filter(token_hash=hash_token(token))
            .first()
        )

    @property
    def is_over(self):
        return self.outcome != Outcome.IN_PROGRESS

    def end(self, outcome, now=None):
        """Close the sitting with `outcome` (once: a closed sitting keeps its outcome)."""
        now = now or timezone.now()
        updated = Participation.objects.filter(
            pk=self.pk, outcome=Outcome.IN_PROGRESS
        ).update(outcome=outcome, ended_at=now)  # fmt: skip
        if updated:
            self.outcome, self.ended_at = outcome, now
        else:
            self.refresh_from_db(fields=["outcome", "ended_at"])
        return self.outcome

    def complete(self, values, now=None):
        """Count the sitting in its quotas and send its response, or end it as screened out
        (the profile's age, whichever way it was saved last) or as quota-full.

        Returns the outcome. The quota claim, the sending and the outcome commit together.
        """
        now = now or timezone.now()
        fieldwork = self.edition.fieldwork
        with transaction.atomic():
            locked = Participation.objects.select_for_update().get(pk=self.pk)
            if locked.is_over:
                self.outcome, self.ended_at = locked.outcome, locked.ended_at
                return self.outcome
            profile = profile_of(values)
            if is_screened_out(profile):
                return self.end(Outcome.SCREENED_OUT, now)
            try:
                cells = Quota.objects.claim(self.edition, profile)
            except QuotaFull:
                return self.end(Outcome.QUOTA_FULL, now)
            self.quotas.set(cells)
            self.response.submit(now)
            self.flags = quality_flags(fieldwork, self, values, now)
            Participation.objects.filter(pk=self.pk).update(flags=self.flags)
            return self.end(Outcome.COMPLETE, now)

    def exclude(self, user, now=None):
        """Staff decision: keep the response, leave it out of the results, and free its
        place in the quota cells it was counted in (the institute may send someone else)."""
        with transaction.atomic():
            locked = Participation.objects.select_for_update().get(pk=self.pk)
            if locked.excluded or locked.outcome != Outcome.COMPLETE:
                return False
            Quota.objects.release_cells(self.quotas.values_list("pk", flat=True))
            self.excluded, self.excluded_by, self.excluded_at = True, user, now or timezone.now()
            self.save(update_fields=["excluded", "excluded_by", "excluded_at"])
        return True

    def include(self):
        """Undo an exclusion: the response counts again in its cells, if they still have
        room (QuotaFull otherwise, and it stays excluded)."""
        with transaction.atomic():
            locked = Participation.objects.select_for_update().get(pk=self.pk)
            if not locked.excluded:
                return False
            Quota.objects.claim_cells(self.quotas.values_list("pk", flat=True))
            self.excluded, self.excluded_by, self.excluded_at = False, None, None
            self.save(update_fields=["excluded", "excluded_by", "excluded_at"])
        return True


def quality_flags(fieldwork, participation, values, now):
    """The usual checks of online polls, as a list of Flag codes (empty: nothing to say)."""
    flags = []
    if (now - participation.started_at).total_seconds() < fieldwork.min_seconds:
        flags.append(Flag.TOO_FAST)
    # Grids are the questions with rows (matrix items).
    grids = set(
        participation.edition.questions.filter(items__isnull=False).values_list("code", flat=True)
    )
    matrices = [
        rows
        for code, rows in values.items()
        if code in grids and len(rows) >= fieldwork.straightlining_rows
    ]
    if any(len(set(rows.values())) == 1 for rows in matrices):
        flags.append(Flag.STRAIGHTLINING)
    attention = values.get(fieldwork.attention_question)
    if fieldwork.attention_row and isinstance(attention, dict):
        attention = attention.get(fieldwork.attention_row)
    if attention != fieldwork.attention_answer:
        flags.append(Flag.ATTENTION)
    return [str(flag) for flag in flags]


class MarginDimension(models.TextChoices):
    AGE_SEX = "age_sexe", "Âge × sexe"
    REGION = "region", "Région"
    COMMUNE_SIZE = "taille_commune", "Taille de la commune de résidence"


class Margin(models.Model):
    """A population count the weights are calibrated to, with its published source."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="margins", verbose_name="édition"
    )
    dimension = models.CharField("critère", max_length=20, choices=MarginDimension)
    category = models.CharField(
        "catégorie",
        max_length=400,
        help_text="Le code de réponse du questionnaire ; « âge:sexe » pour âge × sexe ; des "
        "catégories regroupées sont jointes par « + » (« corse+provence_alpes_cote_d_azur »).",
    )
    population = models.PositiveBigIntegerField("effectif")
    source = models.CharField("source", max_length=300)
    year = models.PositiveSmallIntegerField("année de la source")
    is_test = models.BooleanField(
        "données de test",
        default=False,
        help_text="Chiffres fictifs (colonne « test » du fichier, ou load_poll_margins --test) : "
        "des poids calés sur eux ne sont jamais publiés.",
    )

    class Meta:
        verbose_name = "marge de redressement"
        verbose_name_plural = "marges de redressement"
        ordering = ["dimension", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "dimension", "category"],
                name="one_margin_per_category",
                violation_error_message="Cette catégorie a déjà une marge pour cette édition.",
            ),
            models.CheckConstraint(
                condition=Q(population__gt=0),
                name="margin_population_is_positive",
                violation_error_message="Un effectif de marge doit être positif.",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_dimension_display()} — {self.category} : {numbers.integer(self.population)}"
        )

    @property
    def parts(self):
        """The questionnaire's categories this margin covers (several when merged)."""
        return self.category.split(MERGE_SEPARATOR)


# Categories merged into one margin are written joined by this sign (docs/poll.md).
MERGE_SEPARATOR = "+"


# The documented bounds of an adjustment factor (results.weighting.FACTOR_BOUNDS), with the
# rounding of the last pass's arithmetic.
FACTOR_FLOOR = 0.3 - 1e-9
FACTOR_CEILING = 3.0 + 1e-9

TEST_MARGINS_TEXT = (
    "Marges de test : ces poids reposent sur des chiffres fictifs ; les chiffres pondérés "
    "ainsi ne sont jamais publiés."
)


class RunStatus(models.TextChoices):
    ACCEPTED = "accepte", "Accepté"
    REFUSED = "refuse", "Refusé"


class WeightingRunQuerySet(models.QuerySet):
    def accepted(self):
        """The runs whose weights were kept (the latest one's are in `Participation.weight`)."""
        return self.filter(status=RunStatus.ACCEPTED)


class WeightingRun(models.Model):
    """One computation of the poll's weights: its figures and the margins it used.

    A run that does not reach its margins within the tolerance or whose factors leave their
    bounds is refused: recorded with its gaps, its weights never stored. The weights in
    `Participation.weight` are those of the edition's latest accepted run.
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="weighting_runs", verbose_name="édition"
    )
    created_at = models.DateTimeField("calculé le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="calculé par",
        help_text="Vide quand le calcul a été lancé par la commande weigh_poll.",
    )
    weighted_count = models.PositiveIntegerField("réponses pondérées")
    kish_efficiency = models.FloatField("efficacité de Kish")
    effective_n = models.FloatField("taille effective de l'échantillon")
    factor_min = models.FloatField("facteur d'ajustement minimal")
    factor_max = models.FloatField("facteur d'ajustement maximal")
    passes = models.PositiveIntegerField("passes du calage")
    gaps = models.JSONField(
        "écarts restants",
        default=dict,
        help_text="Par critère, le plus grand écart relatif à une marge laissé par les bornes.",
    )
    margins = models.JSONField(
        "marges utilisées",
        default=list,
        help_text="Copie des marges au moment du calcul : critère, catégorie, effectif, "
        "cible (effectif ramené au total âge × sexe), total pondéré atteint, écart, source, "
        "année.",
    )
    status = models.CharField(
        "décision", max_length=10, choices=RunStatus, default=RunStatus.ACCEPTED
    )
    refusals = models.JSONField(
        "motifs du refus",
        default=list,
        blank=True,
        help_text="Vide pour un calcul accepté : ses poids sont ceux des réponses.",
    )
    test_margins = models.BooleanField(
        "sur des marges de test",
        default=False,
        help_text="Au moins une marge utilisée est marquée comme données de test : les chiffres "
        "pondérés ainsi ne sont jamais publiés.",
    )
    merged = models.JSONField(
        "catégories regroupées",
        default=list,
        blank=True,
        help_text="Par regroupement : critère, catégories, origine (fichier de marges ou "
        "option --merge de weigh_poll).",
    )

    objects = WeightingRunQuerySet.as_manager()

    class Meta:
        verbose_name = "calcul des poids du sondage"
        verbose_name_plural = "calculs des poids du sondage"
        ordering = ["-created_at", "-pk"]
        get_latest_by = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weighted_count__gt=0),
                name="weighting_run_weighs_someone",
                violation_error_message="Un calcul des poids pondère au moins une réponse.",
            ),
            models.CheckConstraint(
                condition=Q(kish_efficiency__gt=0, kish_efficiency__lte=1),
                name="weighting_run_kish_efficiency_in_0_1",
                violation_error_message="L'efficacité de Kish est comprise entre 0 et 1.",
            ),
            models.CheckConstraint(
                condition=Q(factor_min__gt=0) & Q(factor_max__gte=F("factor_min")),
                name="weighting_run_factors_positive_and_ordered",
                violation_error_message="Facteurs d'ajustement positifs et ordonnés.",
            ),
            models.CheckConstraint(
                condition=Q(status=RunStatus.REFUSED)
                | Q(factor_min__gte=FACTOR_FLOOR, factor_max__lte=FACTOR_CEILING),
                name="accepted_weighting_run_factors_within_bounds",
                violation_error_message="Un calcul accepté a ses facteurs d'ajustement dans les "
                "bornes 0,3 à 3.",
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.created_at)
        refused = " (refusé)" if self.is_refused else ""
        return f"Poids du sondage {self.edition.year}, calculés le {when:%d/%m/%Y à %H:%M}{refused}"

    @property
    def is_refused(self):
        return self.status == RunStatus.REFUSED

    def summary(self):
        """What staff read after a run (weigh_poll, the admin action), in French."""
        labels = dict(MarginDimension.choices)
        gaps = " ; ".join(
            f"{labels.get(dimension, dimension).lower()} {numbers.percent(gap, 4)}"
            for dimension, gap in self.gaps.items()
        )
        lines = [
            f"{numbers.integer(self.weighted_count)} réponse(s) pondérée(s) ; efficacité de "
            f"Kish {numbers.decimal_number(self.kish_efficiency, 2)} (taille effective "
            f"{numbers.decimal_number(self.effective_n, 1)}) ; facteurs d'ajustement de "
            f"{numbers.decimal_number(self.factor_min, 2)} à "
            f"{numbers.decimal_number(self.factor_max, 2)} ; "
            f"{self.passes} passe(s).",
            f"Plus grand écart restant à une marge : {gaps}.",
            *(f"Marges — {source}" for source in self.sources()),
            *(
                f"Regroupées ({entry['origine']}) : "
                f"{labels.get(entry['critere'], entry['critere']).lower()} "
                f"{' + '.join(entry['categories'])}"
                for entry in self.merged
            ),
        ]
        if self.test_margins:
            lines.append(TEST_MARGINS_TEXT)
        if self.is_refused:
            lines.append("CALCUL REFUSÉ, poids non enregistrés : " + " ".join(self.refusals))
        return lines

    def sources(self):
        """Each criterion's published tables, once: « région : <source> (<year>) »."""
        labels = dict(MarginDimension.choices)
        sources = []
        for entry in self.margins:
            source = f"{labels.get(entry['critere'], entry['critere']).lower()} : "
            source += f"{entry['source']} ({entry['annee']})"
            if source not in sources:
                sources.append(source)
        return sources


class CrossingComputation(models.Model):
    """The crossed figures of a poll edition, computed once and stored for the public page.

    Computed by `manage.py compute_crossing` and after every accepted weighting run
    (docs/poll.md); the public page only reads the edition's latest one.
    """

    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        related_name="crossing_computations",
        verbose_name="édition du sondage",
    )
    computed_at = models.DateTimeField("calculé le", default=timezone.now)
    weighting_run = models.ForeignKey(
        WeightingRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="poids des citoyens",
        help_text="Le calcul des poids accepté dont viennent les chiffres des citoyens.",
    )
    results_computation = models.ForeignKey(
        "results.Computation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="résultats des collectivités",
    )

    class Meta:
        verbose_name = "croisement enregistré"
        verbose_name_plural = "croisements enregistrés"
        get_latest_by = ["computed_at", "pk"]

    def __str__(self):
        when = timezone.localtime(self.computed_at)
        return f"Croisement {self.edition.year}, calculé le {when:%d/%m/%Y à %H:%M}"

    @property
    def on_test_margins(self):
        return self.weighting_run is not None and self.weighting_run.test_margins


class CrossedFigure(models.Model):
    """One answer of one crossed row in one domain: both sides' shares, stored."""

    computation = models.ForeignKey(
        CrossingComputation,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name="croisement enregistré",
    )
    position = models.PositiveIntegerField("position")
    citizens_question = models.ForeignKey(
        "survey.Question",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="question des citoyens",
    )
    collectivites_question = models.ForeignKey(
        "survey.Question",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="question des collectivités",
    )
    domain = models.CharField("domaine", max_length=200)
    row = models.CharField("ligne", max_length=60, blank=True)
    row_label = models.CharField("libellé de la ligne", max_length=500, blank=True)
    choice = models.CharField("réponse", max_length=60)
    choice_label = models.CharField("libellé de la réponse", max_length=500)
    citizens_value = models.FloatField("part (citoyens)", null=True)
    citizens_low = models.FloatField("IC à 95 %, borne basse (citoyens)", null=True)
    citizens_high = models.FloatField("IC à 95 %, borne haute (citoyens)", null=True)
    citizens_base = models.PositiveIntegerField("base (citoyens)", default=0)
    citizens_count = models.PositiveIntegerField("effectif de la réponse (citoyens)", default=0)
    citizens_reliability = models.CharField("fiabilité (citoyens)", max_length=12)
    collectivites_value = models.FloatField("part (collectivités)", null=True)
    collectivites_low = models.FloatField("IC à 95 %, borne basse (collectivités)", null=True)
    collectivites_high = models.FloatField("IC à 95 %, borne haute (collectivités)", null=True)
    collectivites_base = models.PositiveIntegerField("base (collectivités)", default=0)
    collectivites_count = models.PositiveIntegerField(
        "effectif de la réponse (collectivités)", default=0
    )
    collectivites_reliability = models.CharField("fiabilité (collectivités)", max_length=12)

    class Meta:
        verbose_name = "chiffre croisé"
        verbose_name_plural = "chiffres croisés"
        ordering = ["computation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["computation", "position"], name="one_crossed_figure_per_position"
            ),
        ]

    def __str__(self):
        return f"{self.domain} — {self.row} {self.choice}".replace("  ", " ")

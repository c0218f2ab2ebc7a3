"""The use cases: each project a collectivité described in the use-case group, one row each.

Respondents describe their projects as the items of a repeated group question (the kind
`group`, survey/questionnaire/kinds/group.py); the answers stay the one source. A UseCase row
mirrors one item so that staff can filter, tag and validate it (`UseCase.objects.sync`), and
the public catalogue shows only what staff validated, as they validated it: an item changed
since goes back to « à relire ».
"""

import hashlib
import json

from django.db import models, transaction
from django.db.models import Q

from survey.collection.models import Answer, Response
from survey.questionnaire.models import Edition, Question

# The group questions that describe use cases, and the codes of their sub-questions.
QUESTION_CODES = ("usage_ia_projets",)
NAME, DOMAIN, STAGE, SERVICE, SUPPLIER, DESCRIPTION, BENEFITS, CONSENT = (
    "nom", "domaine", "stade", "service", "fournisseur_nom", "description", "benefices",
    "publication",
)  # fmt: skip


def fingerprint(value):
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Tag(models.Model):
    """A word of the staff's controlled vocabulary, to group free descriptions."""

    name = models.CharField("nom", max_length=100, unique=True)
    description = models.TextField("définition", blank=True)

    class Meta:
        verbose_name = "étiquette"
        verbose_name_plural = "étiquettes"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Review(models.TextChoices):
    PENDING = "a_relire", "À relire"
    PUBLISHABLE = "publiable", "Validé pour le catalogue"
    WITHHELD = "ecarte", "Écarté du catalogue"


def _choice(item, code):
    value = item.get(code)
    return value.get("choice", "") if isinstance(value, dict) else ""


class UseCaseQuerySet(models.QuerySet):
    def public(self):
        """What the catalogue may show: consented, validated by staff as it still reads."""
        return self.filter(consent=True, review=Review.PUBLISHABLE).filter(
            validated_fingerprint=models.F("fingerprint")
        )

    def sync(self, edition):
        """Mirror the items of `edition`'s use-case answers: new items get a row, changed ones
        are updated (and go back to « à relire » if they had been validated), removed ones
        lose theirs. An item keeps its row (and tags) when its number changes, found by name."""
        groups = list(Question.objects.filter(edition=edition, code__in=QUESTION_CODES))
        answers = Answer.objects.filter(question__in=groups).select_related("response")
        with transaction.atomic():
            rows = {}
            for row in self.filter(question__in=groups).order_by("pk").select_for_update():
                rows.setdefault((row.response_id, row.question_id), []).append(row)
            kept = set()
            for answer in answers:
                existing = rows.get((answer.response_id, answer.question_id), [])
                for number, item in enumerate(answer.value or [], start=1):
                    row = self._match(existing, item, number, kept)
                    before = (row.number, row.fingerprint, row.review)
                    row.update_from(answer, number, item)
                    if row.pk is None or before != (row.number, row.fingerprint, row.review):
                        row.save()  # the list syncs on every visit: unchanged rows stay put
                    kept.add(row.pk)
            self.filter(question__in=groups).exclude(pk__in=kept).delete()

    def _match(self, existing, item, number, kept):
        free = [row for row in existing if row.pk not in kept]
        for row in free:
            if row.name == (item.get(NAME) or ""):
                return row
        for row in free:
            if row.number == number:
                return row
        return self.model()


class UseCase(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="use_cases", verbose_name="réponse"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="use_cases", verbose_name="question"
    )
    number = models.PositiveSmallIntegerField("numéro dans la réponse")
    value = models.JSONField("réponses du projet")
    fingerprint = models.CharField("empreinte", max_length=16, editable=False)
    name = models.CharField("nom du projet", max_length=300, blank=True)
    domain = models.CharField("domaine", max_length=60, blank=True)
    stage = models.CharField("stade", max_length=60, blank=True)
    consent = models.BooleanField("publication acceptée", default=False)
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="use_cases", verbose_name="étiquettes"
    )
    review = models.CharField("relecture", max_length=20, choices=Review, default=Review.PENDING)
    validated_fingerprint = models.CharField(
        "empreinte validée", max_length=16, blank=True, editable=False
    )

    objects = UseCaseQuerySet.as_manager()

    class Meta:
        verbose_name = "cas d'usage"
        verbose_name_plural = "cas d'usage"
        ordering = ["response__collectivite__name", "response_id", "number"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(review=Review.PUBLISHABLE) | Q(consent=True),
                name="usecase_published_only_with_consent",
                violation_error_message=(
                    "Un projet n'est validé pour le catalogue que si la collectivité a accepté "
                    "sa publication."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name or 'Projet sans nom'} ({self.collectivite_name})"

    @property
    def collectivite_name(self):
        collectivite = self.response.collectivite
        return collectivite.name if collectivite else "collectivité non précisée"

    def update_from(self, answer, number, item):
        self.response = answer.response
        self.question_id = answer.question_id
        self.number = number
        self.value = item
        self.fingerprint = fingerprint(item)
        self.name = (item.get(NAME) or "")[:300]
        self.domain = _choice(item, DOMAIN)
        self.stage = _choice(item, STAGE)
        self.consent = item.get(CONSENT) is True
        if self.review == Review.PUBLISHABLE and (
            not self.consent or self.validated_fingerprint != self.fingerprint
        ):
            self.review = Review.PENDING

    def validate_for_catalogue(self):
        self.review = Review.PUBLISHABLE
        self.validated_fingerprint = self.fingerprint

    # The item in words, through its sub-questions (their labels, not their codes).

    def sub_questions(self):
        return {sub.code: sub for sub in self.question.kind_class.sub_questions(self.question)}

    def words(self, code):
        sub = self.sub_questions().get(code)
        value = self.value.get(code)
        if sub is None or value is None:
            return ""
        return sub.kind_class.words(sub, value)

    def label_of(self, code, choice_code):
        sub = self.sub_questions().get(code)
        labels = {choice.code: choice.label for choice in sub.active_choices} if sub else {}
        return labels.get(choice_code, choice_code)


class Catalogue(models.Model):
    """An edition's public catalogue of use cases: open after the close, or before if staff
    choose."""

    edition = models.OneToOneField(
        Edition, on_delete=models.CASCADE, related_name="use_case_catalogue", verbose_name="édition"
    )
    open_before_close = models.BooleanField(
        "publié avant la clôture",
        default=False,
        help_text="Sinon, le catalogue s'ouvre à la clôture de l'édition.",
    )

    class Meta:
        verbose_name = "catalogue public"
        verbose_name_plural = "catalogues publics"

    def __str__(self):
        return f"Catalogue {self.edition.year}"

    def is_open(self, now=None):
        return self.open_before_close or self.edition.has_closed(now)

"""The questionnaire (editions, sections, questions, choices) and what respondents answer.

Answer values are JSON, one shape per question kind (see `Question.clean_answer`):

    single_choice, scale   {"choice": "code"} plus "other": "text" when the choice is "other"
    multiple_choice        {"choices": ["code", ...]} plus "other": "text"
    matrix                 {"item_code": "choice_code", ...}
    integer                123
    decimal                "12.5" (a string, so that no precision is lost)
    short_text, long_text  "text"
    yes_no                 true / false
"""

import datetime
import decimal
import hashlib
import re
import secrets
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.functional import cached_property

from survey.enums import NO_CODE, YES_CODE, QuestionKind, ResponseStatus

# A free-text answer never needs more than this, whatever the questionnaire says.
TEXT_HARD_LIMIT = 5000


def format_datetime(value):
    """A date and time in words, in Paris time: « 11 juillet 2025 à 23 h 59 » (the site's
    DATETIME_FORMAT, barometre/formats/fr)."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


class EditionQuerySet(models.QuerySet):
    def current(self):
        """The edition respondents are sent to: the most recent one."""
        return self.order_by("-year").first()


class Edition(models.Model):
    """One yearly barometer: its questionnaire and its collection window."""

    year = models.PositiveSmallIntegerField("année", unique=True)
    title = models.CharField("titre", max_length=200)
    opens_at = models.DateTimeField("ouverture")
    closes_at = models.DateTimeField("clôture")
    estimated_minutes = models.PositiveSmallIntegerField("durée estimée (minutes)", default=20)
    intro = models.TextField("présentation", blank=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        verbose_name = "édition"
        verbose_name_plural = "éditions"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="edition_closes_after_opening",
                violation_error_message="La clôture doit suivre l'ouverture.",
            )
        ]

    def __str__(self):
        return self.title

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.opens_at <= now <= self.closes_at

    def has_not_opened(self, now=None):
        return (now or timezone.now()) < self.opens_at

    def has_closed(self, now=None):
        return (now or timezone.now()) > self.closes_at

    def check_open(self, moment):
        """Raise EditionClosed unless `moment` falls within the collection window."""
        if not self.is_open(moment):
            raise EditionClosed(self)

    def days_left(self, now=None):
        return (self.closes_at - (now or timezone.now())).days

    def questionnaire(self):
        """The sections in order, each with `.asked` holding its active questions, prefetched.

        Every page needs the whole structure (conditions may point to any earlier question),
        so it is kept in the process for QUESTIONNAIRE_CACHE_SECONDS: building it is most of
        a page's cost. Changes made in this process clear it at once (signals below); other
        processes see them within that delay. The cached objects are only read.
        """
        ttl = settings.QUESTIONNAIRE_CACHE_SECONDS
        cached = _questionnaires.get(self.pk)
        if ttl and cached and cached[0] > time.monotonic():
            return cached[1]
        sections = self._load_questionnaire()
        if ttl:
            _questionnaires[self.pk] = (time.monotonic() + ttl, sections)
        return sections

    def _load_questionnaire(self):
        questions = (
            self.questions.filter(is_active=True)
            .select_related("condition_question__condition_question")
            .prefetch_related(
                models.Prefetch("choices", queryset=Choice.objects.filter(is_active=True)),
                "items",
            )
            .order_by("position")
        )
        sections = list(self.sections.order_by("position"))
        by_section = {section.pk: section for section in sections}
        for section in sections:
            section.asked = []
        for question in questions:
            by_section[question.section_id].asked.append(question)
        return sections


_questionnaires = {}


def forget_questionnaires(**kwargs):
    _questionnaires.clear()


class Section(models.Model):
    """A themed part of the questionnaire, shown as one page."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="sections", verbose_name="édition"
    )
    position = models.PositiveSmallIntegerField("position")
    slug = models.SlugField("identifiant", max_length=50)
    title = models.CharField("titre", max_length=200)
    intro = models.TextField("introduction", blank=True)

    class Meta:
        verbose_name = "section"
        verbose_name_plural = "sections"
        ordering = ["edition", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "slug"],
                name="section_slug_unique_per_edition",
                violation_error_message="Une autre section de cette édition a cet identifiant.",
            ),
        ]

    def __str__(self):
        return self.title


class Question(models.Model):
    """One question; `code` is stable across loads and names the export column."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="questions", verbose_name="édition"
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="questions", verbose_name="section"
    )
    position = models.PositiveSmallIntegerField("position")
    code = models.SlugField("code", max_length=60)
    text = models.TextField("intitulé")
    help_text = models.TextField("aide", blank=True)
    kind = models.CharField("type", max_length=20, choices=QuestionKind)
    required = models.BooleanField("obligatoire", default=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Une question désactivée n'est plus posée."
    )
    open_data = models.BooleanField(
        "publiable en open data",
        default=True,
        help_text="Décocher pour les questions qui décrivent la personne qui répond.",
    )
    max_choices = models.PositiveSmallIntegerField("nombre maximal de choix", null=True, blank=True)
    min_value = models.DecimalField(
        "valeur minimale", max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        "valeur maximale", max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_length = models.PositiveIntegerField("longueur maximale", null=True, blank=True)
    condition_question = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependent_questions",
        verbose_name="condition : question",
    )
    condition_codes = models.JSONField(
        "condition : réponses qui affichent la question",
        default=list,
        blank=True,
        help_text="Codes de choix (ou « oui » / « non ») dont l'un doit avoir été répondu.",
    )

    class Meta:
        verbose_name = "question"
        verbose_name_plural = "questions"
        ordering = ["section__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "code"],
                name="question_code_unique_per_edition",
                violation_error_message="Une autre question de cette édition a ce code.",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="question_min_below_max",
                violation_error_message="Le minimum doit être inférieur au maximum.",
            ),
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(max_choices__gte=1),
                name="question_max_choices_positive",
                violation_error_message="Le nombre maximal de choix doit être d'au moins 1.",
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.text[:60]}"

    @cached_property
    def active_choices(self):
        return [choice for choice in self.choices.all() if choice.is_active]

    @cached_property
    def active_items(self):
        return list(self.items.all())

    @property
    def has_choices(self):
        return self.kind in QuestionKind.with_choices()

    # -- Display conditions -------------------------------------------------------------

    @staticmethod
    def answer_codes(kind, value):
        """The codes an answer stands for, so that conditions can test any choice-like kind."""
        if value is None:
            return set()
        if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE):
            return {value.get("choice")} - {None}
        if kind == QuestionKind.MULTIPLE_CHOICE:
            return set(value.get("choices", []))
        if kind == QuestionKind.YES_NO:
            return {YES_CODE if value else NO_CODE}
        return set()

    def is_shown(self, values_by_code):
        """Whether the question is asked, given the answers so far ({code: value})."""
        if self.condition_question_id is None:
            return True
        parent = self.condition_question
        if not parent.is_shown(values_by_code):
            return False
        codes = self.answer_codes(parent.kind, values_by_code.get(parent.code))
        return bool(codes & set(self.condition_codes))

    # -- The one validation rule ----------------------------------------------------------

    def clean_answer(self, value):
        """Validate and normalise an answer of any origin; None means "no answer".

        Raises ValidationError with a French message. Whether an empty answer is acceptable
        (required questions) is decided by `check_required`, since saving a draft allows it.
        """
        if _is_empty(value):
            return None
        cleaner = getattr(self, f"_clean_{self.kind}")
        return cleaner(value)

    def check_required(self, cleaned_value):
        if self.required and cleaned_value is None:
            raise ValidationError("Cette question est obligatoire.", code="required")
        if self.required and self.kind == QuestionKind.MATRIX:
            missing = [item.label for item in self.active_items if item.code not in cleaned_value]
            if missing:
                raise ValidationError(
                    "Répondez pour chaque ligne : il manque « %(items)s ».",
                    code="required",
                    params={"items": " », « ".join(missing)},
                )

    def _choice_map(self):
        return {choice.code: choice for choice in self.active_choices}

    def _clean_other(self, chosen, value):
        other_text = value.get("other", "")
        if not isinstance(other_text, str):
            raise ValidationError("La précision doit être un texte.", code="invalid")
        other_text = _clean_text(other_text, 500)
        if any(choice.is_other for choice in chosen):
            if not other_text:
                raise ValidationError(
                    "Vous avez choisi « %(label)s » : précisez votre réponse.",
                    code="other_missing",
                    params={"label": next(c.label for c in chosen if c.is_other)},
                )
            return other_text
        return ""

    def _clean_single_choice(self, value):
        if isinstance(value, str):
            value = {"choice": value}
        if not isinstance(value, dict) or not isinstance(value.get("choice"), str):
            raise ValidationError("Choisissez une réponse dans la liste.", code="invalid")
        choice = self._choice_map().get(value["choice"])
        if choice is None:
            raise ValidationError("Cette réponse ne fait pas partie des choix proposés.", "invalid")
        cleaned = {"choice": choice.code}
        if other := self._clean_other([choice], value):
            cleaned["other"] = other
        return cleaned

    _clean_scale = _clean_single_choice

    def _clean_multiple_choice(self, value):
        if isinstance(value, list):
            value = {"choices": value}
        codes = value.get("choices") if isinstance(value, dict) else None
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ValidationError("Choisissez une ou plusieurs réponses.", code="invalid")
        if not codes:
            return None
        choice_map = self._choice_map()
        unknown = [code for code in codes if code not in choice_map]
        if unknown:
            raise ValidationError(
                "Ces réponses ne font pas partie des choix proposés : %(codes)s.",
                code="invalid",
                params={"codes": ", ".join(unknown)[:200]},
            )
        chosen = [choice for choice in self.active_choices if choice.code in codes]
        exclusive = [choice for choice in chosen if choice.is_exclusive]
        if exclusive and len(chosen) > 1:
            raise ValidationError(
                "« %(label)s » ne peut pas être combiné avec une autre réponse.",
                code="exclusive",
                params={"label": exclusive[0].label},
            )
        if self.max_choices and len(chosen) > self.max_choices:
            raise ValidationError(
                "Choisissez au plus %(max)s réponses.",
                code="max_choices",
                params={"max": self.max_choices},
            )
        cleaned = {"choices": [choice.code for choice in chosen]}
        if other := self._clean_other(chosen, value):
            cleaned["other"] = other
        return cleaned

    def _clean_matrix(self, value):
        if not isinstance(value, dict):
            raise ValidationError("Répondez ligne par ligne.", code="invalid")
        items = {item.code for item in self.active_items}
        choices = self._choice_map()
        cleaned = {}
        for item_code, choice_code in value.items():
            if item_code not in items:
                raise ValidationError("Une ligne de ce tableau est inconnue.", code="invalid")
            if _is_empty(choice_code):
                continue
            if choice_code not in choices:
                raise ValidationError(
                    "Cette réponse ne fait pas partie de l'échelle proposée.", code="invalid"
                )
            cleaned[item_code] = choice_code
        ordered = [item.code for item in self.active_items if item.code in cleaned]
        return {code: cleaned[code] for code in ordered} or None

    def _check_bounds(self, number):
        if self.min_value is not None and number < self.min_value:
            raise ValidationError(
                "Saisissez un nombre supérieur ou égal à %(min)s.",
                code="min_value",
                params={"min": _format_number(self.min_value)},
            )
        if self.max_value is not None and number > self.max_value:
            raise ValidationError(
                "Saisissez un nombre inférieur ou égal à %(max)s.",
                code="max_value",
                params={"max": _format_number(self.max_value)},
            )

    def _clean_integer(self, value):
        if isinstance(value, bool):
            raise ValidationError("Saisissez un nombre entier.", code="invalid")
        if isinstance(value, str):
            text = _ungroup(value)
            if not INTEGER_RE.fullmatch(text) or len(text) > 15:
                raise ValidationError(
                    "Saisissez un nombre entier en chiffres de 0 à 9, par exemple 2 942 857.",
                    code="invalid",
                )
            value = int(text)
        if not isinstance(value, int):
            raise ValidationError("Saisissez un nombre entier.", code="invalid")
        self._check_bounds(value)
        return value

    def _clean_decimal(self, value):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("Saisissez un nombre.", code="invalid")
        text = _ungroup(str(value)).replace(",", ".")
        if not DECIMAL_RE.fullmatch(text) or len(text) > 20:
            raise ValidationError(
                "Saisissez un nombre en chiffres de 0 à 9, par exemple 12,5.", code="invalid"
            )
        number = decimal.Decimal(text)
        self._check_bounds(number)
        return f"{number:f}"

    def _clean_short_text(self, value):
        return self._clean_text_kind(value, default_limit=255)

    def _clean_long_text(self, value):
        return self._clean_text_kind(value, default_limit=TEXT_HARD_LIMIT)

    def _clean_text_kind(self, value, default_limit):
        if not isinstance(value, str):
            raise ValidationError("Saisissez un texte.", code="invalid")
        limit = min(self.max_length or default_limit, TEXT_HARD_LIMIT)
        return _clean_text(value, limit) or None

    def _clean_yes_no(self, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {YES_CODE, "true", "1"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {NO_CODE, "false", "0"}:
            return False
        raise ValidationError("Répondez par oui ou par non.", code="invalid")


def _is_empty(value):
    return value is None or value == "" or value == [] or value == {}


def _clean_text(text, limit):
    if "\x00" in text:
        raise ValidationError("Le texte contient un caractère non autorisé.", code="invalid")
    # Browsers count a line break as one character (maxlength) but post it as "\r\n".
    text = normalise_line_breaks(text).strip()
    if len(text) > limit:
        raise ValidationError(
            "Le texte est trop long : %(length)s caractères pour %(limit)s au plus.",
            code="max_length",
            params={"length": len(text), "limit": limit},
        )
    return text


def normalise_line_breaks(text):
    """Every line break as "\\n", so that the browser and the server count alike."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Only ASCII digits: int(), Decimal() and str.isdigit() also take superscripts, full-width or
# Arabic-Indic digits and underscores ("1_000"), which a respondent never means as a number.
INTEGER_RE = re.compile(r"-?[0-9]+")
DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?|-?\.[0-9]+")
# Thousands separators a respondent may type or be shown (space, no-break, narrow no-break).
GROUP_SEPARATORS = str.maketrans("", "", " \xa0\u202f")


def _ungroup(text):
    return text.strip().translate(GROUP_SEPARATORS)


def group_thousands(number):
    """A number as the French write it: 2 942 857 and 1 234,5 (narrow no-break spaces)."""
    text = f"{number:f}" if isinstance(number, decimal.Decimal) else str(number)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    return sign + grouped + ("," + fraction if fraction else "")


def _format_number(number):
    return f"{decimal.Decimal(str(number)).normalize():f}".replace(".", ",")


class Choice(models.Model):
    """A possible answer (or a scale point) of a choice-like question."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name="question"
    )
    code = models.SlugField("code", max_length=60)
    label = models.CharField("libellé", max_length=300)
    position = models.PositiveSmallIntegerField("position")
    is_other = models.BooleanField("« Autre », à préciser", default=False)
    is_exclusive = models.BooleanField(
        "exclusif", default=False, help_text="Ne peut pas être combiné (« Je ne sais pas »…)."
    )
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "choix"
        verbose_name_plural = "choix"
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "code"],
                name="choice_code_unique_per_question",
                violation_error_message="Un autre choix de cette question a ce code.",
            ),
        ]

    def __str__(self):
        return self.label


class MatrixItem(models.Model):
    """A row of a matrix question, rated on the question's choices."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="items", verbose_name="question"
    )
    code = models.SlugField("code", max_length=60)
    label = models.CharField("libellé", max_length=300)
    position = models.PositiveSmallIntegerField("position")

    class Meta:
        verbose_name = "ligne de matrice"
        verbose_name_plural = "lignes de matrice"
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "code"],
                name="matrix_item_code_unique_per_question",
                violation_error_message="Une autre ligne de cette question a ce code.",
            ),
        ]

    def __str__(self):
        return self.label


class CollectiviteKind(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI"
    DEPARTEMENT = "departement", "Département"
    REGION = "region", "Région"
    STATUT_PARTICULIER = "statut_particulier", "Collectivité à statut particulier"


class PopulationBand(models.TextChoices):
    UNDER_3500 = "lt3500", "Moins de 3 500 habitants"
    FROM_3500_TO_10000 = "3500-10000", "De 3 500 à 10 000 habitants"
    FROM_10000_TO_100000 = "10000-100000", "De 10 000 à 100 000 habitants"
    OVER_100000 = "gt100000", "Plus de 100 000 habitants"

    @classmethod
    def for_population(cls, population):
        if population < 3500:
            return cls.UNDER_3500
        if population < 10000:
            return cls.FROM_3500_TO_10000
        if population <= 100000:
            return cls.FROM_10000_TO_100000
        return cls.OVER_100000


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


class ResponseQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(status=ResponseStatus.DRAFT)

    def submitted(self):
        return self.filter(status=ResponseStatus.SUBMITTED)


def new_public_id():
    return uuid.uuid4().hex


class Response(models.Model):
    """One collectivité's answers to one edition. Personal data lives in Respondent."""

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="responses", verbose_name="édition"
    )
    public_id = models.CharField(
        "identifiant public", max_length=32, unique=True, default=new_public_id, editable=False
    )
    status = models.CharField(
        "statut", max_length=10, choices=ResponseStatus, default=ResponseStatus.DRAFT
    )
    collectivite = models.ForeignKey(
        Collectivite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name="collectivité",
    )
    other_structure_name = models.CharField("autre structure : nom", max_length=200, blank=True)
    other_structure_siren = models.CharField("autre structure : SIREN", max_length=9, blank=True)
    version = models.PositiveIntegerField("version", default=0)
    completed_sections = models.JSONField(
        "sections validées", default=list, blank=True, editable=False
    )
    progress = models.PositiveSmallIntegerField(
        "progression (%)", default=0, help_text="Part des questions posées qui ont une réponse."
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("dernière activité", auto_now=True)
    submitted_at = models.DateTimeField("dernier envoi", null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = "réponse"
        verbose_name_plural = "réponses"
        ordering = ["-updated_at"]
        permissions = [
            ("export_responses", "Exporter les réponses"),
            ("correct_after_close", "Réattribuer ou fusionner des réponses après la clôture"),
        ]
        # The admin lists responses by last activity, 36,000 of them at national scale.
        indexes = [models.Index(fields=["-updated_at"], name="response_last_activity_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "collectivite"],
                condition=Q(collectivite__isnull=False),
                name="one_response_per_collectivite_and_edition",
                violation_error_message=(
                    "Cette collectivité a déjà une réponse pour cette édition."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=ResponseStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="submitted_response_has_a_date",
                violation_error_message="Une réponse envoyée doit avoir une date d'envoi.",
            ),
        ]

    def __str__(self):
        return f"Réponse {self.public_id[:8]}"

    @property
    def is_submitted(self):
        return self.status == ResponseStatus.SUBMITTED

    @property
    def status_text(self):
        """What the respondent is told about this response: the status decides, here only."""
        if not self.is_submitted:
            return "Vous avez une réponse en cours, pas encore envoyée."
        sent = f"Réponses envoyées le {format_datetime(self.submitted_at)}"
        if self.edition.is_open():
            until = format_datetime(self.edition.closes_at)
            return f"{sent} — consulter ou modifier jusqu'au {until}."
        return f"{sent}."

    @property
    def continue_label(self):
        """The button that takes the respondent back to this response."""
        if self.is_submitted:
            return "Consulter ou modifier mes réponses"
        return "Continuer mes réponses"

    @property
    def status_for_others(self):
        """What a colleague who picks the same collectivité is told about this response."""
        if self.is_submitted:
            return f"a déjà une réponse, envoyée le {format_datetime(self.submitted_at)}"
        return "a déjà une réponse en cours"

    @property
    def has_structure(self):
        return self.collectivite_id is not None or bool(self.other_structure_siren)

    @property
    def structure_label(self):
        if self.collectivite_id:
            return f"{self.collectivite} ({self.collectivite.kind_label})"
        if self.other_structure_siren:
            return f"{self.other_structure_name} (SIREN {self.other_structure_siren})"
        return None

    @property
    def structure_for_logs(self):
        """Who answers, without personal data: an « autre structure » name may be a person's."""
        if self.collectivite_id:
            return f"{self.collectivite} ({self.collectivite.kind_label})"
        if self.other_structure_siren:
            return f"autre structure, SIREN {self.other_structure_siren}"
        return None

    def assign_structure(self, structure):
        """Record who answers: a Collectivite, or an (name, siren) "other structure".

        Raises CollectiviteTaken when the collectivité already has a response to this
        edition: the database constraint decides, so two people racing cannot both win.
        """
        if isinstance(structure, Collectivite):
            if self.collectivite_id == structure.pk:
                return
            self.collectivite, self.other_structure_name, self.other_structure_siren = (
                structure, "", "",
            )  # fmt: skip
        else:
            self.collectivite = None
            self.other_structure_name, self.other_structure_siren = structure
        try:
            with transaction.atomic():
                self.save(
                    update_fields=["collectivite", "other_structure_name", "other_structure_siren"]
                )
        except IntegrityError:
            taken = self.collectivite
            self.refresh_from_db(
                fields=["collectivite", "other_structure_name", "other_structure_siren"]
            )
            raise CollectiviteTaken(
                Response.objects.get(edition=self.edition_id, collectivite=taken)
            ) from None

    def merge_from(self, duplicate):
        """Fold a duplicate response of the same edition into this one, then delete it.

        Answers this response lacks are taken from the duplicate; this response's own answers
        win. Respondents (so their resume links), access requests and sendings move here.
        """
        if duplicate.pk == self.pk or duplicate.edition_id != self.edition_id:
            raise ValueError("Seules deux réponses distinctes d'une même édition se fusionnent.")
        with transaction.atomic():
            answered = self.answers.values("question_id")
            duplicate.answers.exclude(question_id__in=answered).update(response=self)
            for related in (
                duplicate.respondents,
                duplicate.access_requests,
                duplicate.submissions,
            ):
                related.update(response=self)
            if not self.has_structure and duplicate.has_structure:
                structure = duplicate.collectivite or (
                    duplicate.other_structure_name, duplicate.other_structure_siren,
                )  # fmt: skip
                duplicate.delete()
                self.assign_structure(structure)
            else:
                duplicate.delete()
            last = self.submissions.order_by("-submitted_at").first()
            if last and not self.is_submitted:
                self.status, self.submitted_at = ResponseStatus.SUBMITTED, last.submitted_at
            self.completed_sections = list(
                dict.fromkeys([*self.completed_sections, *duplicate.completed_sections])
            )
            self.version += 1
            self.progress = self.compute_progress(
                self.edition.questionnaire(), self.values_by_code()
            )
            self.save(
                update_fields=[
                    "status",
                    "submitted_at",
                    "completed_sections",
                    "version",
                    "progress",
                ]
            )

    def values_by_code(self):
        """Every saved answer, as {question code: value}."""
        return dict(self.answers.values_list("question__code", "value"))

    @staticmethod
    def missing_required(section, values):
        """Questions of `section` that are asked and required but have no answer."""
        missing = []
        for question in section.asked:
            if not question.is_shown(values):
                continue
            try:
                question.check_required(values.get(question.code))
            except ValidationError:
                missing.append(question)
        return missing

    def is_section_complete(self, section, values):
        return section.slug in self.completed_sections and not self.missing_required(
            section, values
        )

    def first_incomplete_section(self, sections, values):
        """Where a returning respondent should land; None when every page is complete."""
        if sections and not self.has_structure:
            return sections[0]  # the collectivité is chosen on the first page
        for section in sections:
            if not self.is_section_complete(section, values):
                return section
        return None

    @staticmethod
    def compute_progress(sections, values):
        asked = [q for section in sections for q in section.asked if q.is_shown(values)]
        if not asked:
            return 0
        answered = sum(1 for question in asked if values.get(question.code) is not None)
        return round(100 * answered / len(asked))

    def save_answers(self, sections, cleaned, completed_section=None, base_version=None):
        """Store one page's answers ({Question: value or None}) in one transaction.

        `base_version` is the response's version when the page was displayed: answers of
        these questions changed since then (in another tab or device) and different from
        what is posted raise EditConflict instead of being overwritten silently.
        Runs a constant number of queries whatever the number of questions on the page.
        """
        with transaction.atomic():
            response = Response.objects.select_for_update().get(pk=self.pk)
            if base_version is not None and base_version < response.version:
                newer = {
                    answer.question_id: answer.value
                    for answer in response.answers.filter(
                        question__in=list(cleaned), version__gt=base_version
                    )
                }
                conflicts = {
                    q: newer[q.pk]
                    for q, value in cleaned.items()
                    if q.pk in newer and newer[q.pk] != value
                }
                if conflicts:
                    raise EditConflict(conflicts, response.version)
            new_version = response.version + 1
            to_delete = [q.pk for q, value in cleaned.items() if value is None]
            to_save = [
                Answer(response=response, question=q, value=value, version=new_version)
                for q, value in cleaned.items()
                if value is not None
            ]
            if to_delete:
                response.answers.filter(question_id__in=to_delete).delete()
            if to_save:
                Answer.objects.bulk_create(
                    to_save,
                    update_conflicts=True,
                    unique_fields=["response", "question"],
                    update_fields=["value", "version", "updated_at"],
                )
            values = response.values_by_code()
            completed = list(response.completed_sections)
            if completed_section and completed_section.slug not in completed:
                completed.append(completed_section.slug)
            response.completed_sections = completed
            response.progress = self.compute_progress(sections, values)
            response.version = new_version
            response.save(update_fields=["completed_sections", "progress", "version", "updated_at"])
            # The last write of the transaction, so the latest time it stamps: a request in
            # flight at the deadline commits nothing dated after the close.
            self.edition.check_open(response.updated_at)
        for field in ("completed_sections", "progress", "version", "updated_at"):
            setattr(self, field, getattr(response, field))
        return values

    def submit(self, now=None):
        """Send the response. Sending again without any change since is a no-op."""
        with transaction.atomic():
            response = Response.objects.select_for_update().get(pk=self.pk)
            now = now or timezone.now()  # taken once the response is locked
            self.edition.check_open(now)
            last = response.submissions.order_by("-submitted_at").first()
            if response.is_submitted and last and last.version == response.version:
                return False
            response.status = ResponseStatus.SUBMITTED
            response.submitted_at = now
            response.save(update_fields=["status", "submitted_at", "updated_at"])
            ResponseSubmission.objects.create(
                response=response, submitted_at=now, version=response.version
            )
            self.edition.check_open(response.updated_at)  # the latest time written
        self.status, self.submitted_at = response.status, response.submitted_at
        return True


class EditionClosed(Exception):
    """A write reached the database outside the edition's collection window."""

    def __init__(self, edition):
        self.edition = edition
        super().__init__("édition close")


class CollectiviteTaken(Exception):
    """The collectivité already has a response (`existing`) to this edition."""

    def __init__(self, existing):
        self.existing = existing
        super().__init__("collectivité déjà prise")


class EditConflict(Exception):
    """Answers were changed elsewhere since the page was displayed."""

    def __init__(self, conflicts, current_version):
        self.conflicts = conflicts  # {Question: the newer saved value}
        self.current_version = current_version
        super().__init__(f"{len(conflicts)} réponse(s) modifiée(s) ailleurs")


class ResponseSubmission(models.Model):
    """Each time a response was sent, since respondents may send again until the deadline."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="submissions", verbose_name="réponse"
    )
    submitted_at = models.DateTimeField("envoyée le", default=timezone.now)
    version = models.PositiveIntegerField("version envoyée", default=0)

    class Meta:
        verbose_name = "envoi"
        verbose_name_plural = "envois"
        ordering = ["submitted_at"]

    def __str__(self):
        return f"Envoi du {format_datetime(self.submitted_at)}"


class Answer(models.Model):
    """The answer of one response to one question.

    Answers to questions not published in open data (`Question.open_data` off: they describe
    the person who answers, such as their function or service) are personal data: see
    PERSONAL_FIELDS.
    """

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name="réponse"
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name="question"
    )
    value = models.JSONField("valeur")
    version = models.PositiveIntegerField(
        "version", default=0, help_text="Version de la réponse lors de la dernière modification."
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "réponse à une question"
        verbose_name_plural = "réponses aux questions"
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"],
                name="one_answer_per_question_and_response",
                violation_error_message="Cette question a déjà une réponse.",
            ),
        ]

    def __str__(self):
        return f"{self.question.code} = {self.value}"


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Respondent(models.Model):
    """A person who may edit a response, through resume links of their own.

    Contact data is kept here, apart from the answers, so that it can be purged after the
    retention period while the answers stay.
    """

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="respondents", verbose_name="réponse"
    )
    email = models.EmailField("adresse électronique", blank=True)
    name = models.CharField("nom", max_length=200, blank=True)
    role = models.CharField("fonction", max_length=200, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "répondant"
        verbose_name_plural = "répondants"
        permissions = [("view_contact_details", "Voir les coordonnées des répondants")]

    def __str__(self):
        return f"Répondant de {self.response}"

    @classmethod
    def create_for(cls, response, **contact):
        """Create a respondent; return it with a fresh resume token (shown once, never stored)."""
        respondent = cls.objects.create(response=response, **contact)
        return respondent, respondent.new_token()

    def new_token(self):
        token = secrets.token_urlsafe(32)
        ResumeToken.objects.create(respondent=self, token_hash=hash_token(token))
        return token


class ResumeToken(models.Model):
    """A resume link's secret, stored as its SHA-256 only. A respondent may have several."""

    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="tokens", verbose_name="répondant"
    )
    token_hash = models.CharField("empreinte", max_length=64, unique=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "lien de reprise"
        verbose_name_plural = "liens de reprise"

    def __str__(self):
        return f"Lien de reprise du {self.created_at:%d/%m/%Y}"

    @classmethod
    def find_respondent(cls, token):
        """The respondent a clear token belongs to, or None. Looked up by hash, not compared."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        found = (
            cls.objects.select_related("respondent__response__edition")
            .filter(token_hash=hash_token(token))
            .first()
        )
        return found.respondent if found else None


class AccessRequest(models.Model):
    """Someone asks to contribute to the response a collectivité already has.

    The response's respondents get an email with a link (its token stored as a hash) that
    shares the response: the requester then receives a resume link of their own.
    """

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="access_requests", verbose_name="réponse"
    )
    email = models.EmailField("adresse du demandeur")
    token_hash = models.CharField("empreinte du lien d'accord", max_length=64, unique=True)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    granted_at = models.DateTimeField("accordé le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)

    # A grant link shares a whole response: it works once, for a limited time.
    VALID_FOR = datetime.timedelta(days=14)

    class Meta:
        verbose_name = "demande d'accès"
        verbose_name_plural = "demandes d'accès"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Demande d'accès du {self.created_at:%d/%m/%Y}"

    @classmethod
    def create_for(cls, response, email):
        token = secrets.token_urlsafe(32)
        request = cls.objects.create(response=response, email=email, token_hash=hash_token(token))
        return request, token

    @classmethod
    def find(cls, token):
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        return (
            cls.objects.select_related("response__edition", "response__collectivite")
            .filter(token_hash=hash_token(token))
            .first()
        )

    @property
    def expires_at(self):
        return self.created_at + self.VALID_FOR

    def is_usable(self, now=None):
        """Neither used, revoked nor expired."""
        now = now or timezone.now()
        return self.granted_at is None and self.revoked_at is None and now < self.expires_at

    def grant(self):
        """Share the response with the requester; return their new resume token, or None
        when the link was used, revoked or has expired meanwhile (single use)."""
        with transaction.atomic():
            locked = AccessRequest.objects.select_for_update().get(pk=self.pk)
            if not locked.is_usable():
                self.granted_at, self.revoked_at = locked.granted_at, locked.revoked_at
                return None
            locked.granted_at = timezone.now()
            locked.save(update_fields=["granted_at"])
            respondent, token = Respondent.create_for(self.response, email=self.email)
        self.granted_at = locked.granted_at
        return token


# Every field that holds personal data, declared once. It drives `erase_personal_data` (and
# so `purge_personal_data`), who may see, search, filter or export these fields (the
# « view_contact_details » permission), and the test that checks the whole database after a
# purge. Answers to questions with `open_data` off describe the respondent: personal too.
PERSONAL_FIELDS = {
    Respondent: ("email", "name", "role"),
    AccessRequest: ("email",),
    Response: ("other_structure_name",),  # may be a person's business name
}
CONTACT_PERMISSION = "survey.view_contact_details"
ERASED = "[effacé]"


def personal_answers():
    """Answers that describe the respondent rather than the collectivité."""
    return Answer.objects.filter(question__open_data=False)


def erase_personal_data(responses):
    """Erase the declared personal data of `responses` (a queryset); answers otherwise stay.

    Admin log entries about these responses lose the erased values too. Returns the number
    of rows changed, by model name.
    """
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    counts = {}
    with transaction.atomic():
        erased_values = set()
        for model, fields in PERSONAL_FIELDS.items():
            rows = model.objects.filter(
                **({"pk__in": responses} if model is Response else {"response__in": responses})
            ).exclude(**dict.fromkeys(fields, ""))
            for values in rows.values_list(*fields):
                erased_values.update(value for value in values if value)
            counts[model._meta.verbose_name_plural] = rows.update(**dict.fromkeys(fields, ""))
        counts["réponses personnelles"], _ = (
            personal_answers().filter(response__in=responses).delete()
        )
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Response),
            object_id__in=[str(pk) for pk in responses.values_list("pk", flat=True)],
        )
        for entry in entries:
            message, label = entry.change_message, entry.object_repr
            for value in sorted(erased_values, key=len, reverse=True):
                message, label = message.replace(value, ERASED), label.replace(value, ERASED)
            if (message, label) != (entry.change_message, entry.object_repr):
                entry.change_message, entry.object_repr = message, label
                entry.save(update_fields=["change_message", "object_repr"])
    return counts


for _model in (Edition, Section, Question, Choice, MatrixItem):
    models.signals.post_save.connect(forget_questionnaires, sender=_model)
    models.signals.post_delete.connect(forget_questionnaires, sender=_model)

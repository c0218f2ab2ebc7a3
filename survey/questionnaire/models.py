"""The questionnaire engine: editions, sections, questions, choices, matrix items.

Answer values are JSON, one shape per question kind (see `Question.clean_answer`):

    single_choice, scale   {"choice": "code"} plus "other": "text" when the choice is "other"
    multiple_choice        {"choices": ["code", ...]} plus "other": "text"
    matrix                 {"item_code": "choice_code", ...}
    integer                123
    decimal                "12.5" (a string, so that no precision is lost)
    short_text, long_text  "text"
    yes_no                 true / false
"""

import decimal
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.functional import cached_property

from survey import numbers
from survey.enums import Audience, Lineage, QuestionKind

# Codes of questions, choices and matrix lines name export columns: a letter, then lowercase
# letters, digits and "_" (the questionnaire loader checks its file with the same pattern).
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
validate_code = RegexValidator(
    CODE_PATTERN,
    "Le code doit commencer par une lettre minuscule et ne contenir que des minuscules, "
    "chiffres et « _ » : c'est le nom de la colonne dans les exports.",
)

# A free-text answer never needs more than this, whatever the questionnaire says.
TEXT_HARD_LIMIT = 5000


def format_datetime(value):
    """A date and time in words, in Paris time: « 11 juillet 2025 à 23 h 59 » (the site's
    DATETIME_FORMAT, barometre/formats/fr)."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


class EditionClosed(Exception):
    """A write reached the database outside the edition's collection window."""

    def __init__(self, edition):
        self.edition = edition
        super().__init__("édition close")


def new_structure_version():
    return uuid.uuid4().hex


class QuestionnaireQuerySet(models.QuerySet):
    """Bulk changes skip the model signals: they clear the cached questionnaires themselves."""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        forget_questionnaires()
        return count

    update.alters_data = True

    def delete(self):
        result = super().delete()
        forget_questionnaires()
        return result

    delete.alters_data = True

    def bulk_create(self, *args, **kwargs):
        objs = super().bulk_create(*args, **kwargs)
        forget_questionnaires()
        return objs

    def bulk_update(self, *args, **kwargs):
        count = super().bulk_update(*args, **kwargs)
        forget_questionnaires()
        return count


# The collectivités' barometer. Questionnaire files that name no survey mean it; everything
# else names the survey of the edition it looks up (two surveys may share a year).
BAROMETER_SURVEY = "barometre-ia-collectivites"
BAROMETER_SURVEY_TITLE = "Baromètre de l'IA dans les collectivités"


class SurveyQuerySet(models.QuerySet):
    def default(self):
        """The collectivités' barometer (created on first use)."""
        survey, _ = self.get_or_create(
            code=BAROMETER_SURVEY,
            defaults={"title": BAROMETER_SURVEY_TITLE, "audience": Audience.COLLECTIVITES},
        )
        return survey


class Survey(models.Model):
    """A survey with its own audience and its yearly editions (the collectivités' barometer;
    a citizens' poll may run beside it in the same year)."""

    code = models.SlugField("code", max_length=60, unique=True)
    title = models.CharField("titre", max_length=200)
    audience = models.CharField("public", max_length=20, choices=Audience)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = "enquête"
        verbose_name_plural = "enquêtes"
        ordering = ["code"]

    def __str__(self):
        return self.title


def default_survey():
    return Survey.objects.default().pk


class EditionQuerySet(QuestionnaireQuerySet):
    # The survey is always named: two surveys may have an edition the same year.
    def of(self, survey):
        """The editions of a survey (its code)."""
        return self.filter(survey__code=survey)

    def current(self, survey):
        """The edition respondents of a survey are sent to: its most recent one."""
        return self.of(survey).order_by("-year").first()

    def for_year(self, year, survey):
        """A survey's edition of that year, or None."""
        return self.of(survey).filter(year=year).first()


class Edition(models.Model):
    """One yearly edition of a survey: its questionnaire and its collection window."""

    survey = models.ForeignKey(
        Survey,
        on_delete=models.PROTECT,
        related_name="editions",
        verbose_name="enquête",
        default=default_survey,
    )
    year = models.PositiveSmallIntegerField("année")
    title = models.CharField("titre", max_length=200)
    opens_at = models.DateTimeField("ouverture")
    closes_at = models.DateTimeField("clôture")
    estimated_minutes = models.PositiveSmallIntegerField("durée estimée (minutes)", default=20)
    intro = models.TextField("présentation", blank=True)
    structure_version = models.CharField(
        "version du questionnaire",
        max_length=32,
        default=new_structure_version,
        editable=False,
        help_text="Change à chaque modification du questionnaire : les pages en cache la suivent.",
    )

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
            ),
            models.UniqueConstraint(
                fields=["survey", "year"],
                name="edition_once_a_year_per_survey",
                violation_error_message="Cette enquête a déjà une édition cette année-là.",
            ),
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
        so it is kept in the process (unless QUESTIONNAIRE_CACHE is off) as long as the
        edition's `structure_version` is the one it was built at: any change to a
        questionnaire gives every edition a new version (signals and querysets below), which
        each process reads with the edition it already loads (a page reads it with the
        respondent's token), so no extra query and no delay. The cached objects are only read.
        """
        cached = _questionnaires.get(self.pk)
        if cached and cached[0] == self.structure_version:
            return cached[1]
        sections = self._load_questionnaire()
        if settings.QUESTIONNAIRE_CACHE:
            _questionnaires[self.pk] = (self.structure_version, sections)
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
    """A questionnaire changed: every edition gets a new structure version (other processes
    rebuild their cached structure on their next page), and this process forgets its own."""
    _questionnaires.clear()
    # A plain queryset: the editions' own would call this again.
    models.QuerySet(Edition).update(structure_version=new_structure_version())


class Section(models.Model):
    """A themed part of the questionnaire, shown as one page."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="sections", verbose_name="édition"
    )
    position = models.PositiveSmallIntegerField("position")
    slug = models.SlugField("identifiant", max_length=50)
    title = models.CharField("titre", max_length=200)
    intro = models.TextField("introduction", blank=True)

    objects = QuestionnaireQuerySet.as_manager()

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
    code = models.SlugField("code", max_length=60, validators=[validate_code])
    text = models.TextField("intitulé")
    help_text = models.TextField("aide", blank=True)
    kind = models.CharField("type", max_length=20, choices=QuestionKind)
    required = models.BooleanField("obligatoire", default=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Une question désactivée n'est plus posée."
    )
    open_data = models.BooleanField(
        "publiable en données ouvertes",
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
    group = models.JSONField(
        "groupe répété",
        default=dict,
        blank=True,
        help_text="Pour un groupe répété : ses sous-questions, le nom d'un élément et leur "
        "nombre maximal, tels que le fichier du questionnaire les décrit.",
    )
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

    lineage = models.CharField("filiation", max_length=20, choices=Lineage, default=Lineage.NEW)
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continued_by",
        verbose_name="continue la question",
        help_text="La question d'une édition antérieure que celle-ci prolonge.",
    )
    recoding = models.JSONField(
        "recodage des réponses",
        default=dict,
        blank=True,
        help_text="Pour des réponses recodées : code de l'édition antérieure → code actuel.",
    )

    crosses_survey = models.CharField(
        "croise : enquête",
        max_length=60,
        blank=True,
        help_text="Le code de l'autre enquête de la même année qui pose la même question.",
    )
    crosses_question = models.CharField(
        "croise : question",
        max_length=60,
        blank=True,
        help_text="Le code de la question de l'autre enquête : mêmes lignes, mêmes réponses.",
    )
    crosses_items_left_out = models.JSONField(
        "croise : lignes laissées de côté",
        default=list,
        blank=True,
        help_text="Les lignes de cette question que l'autre n'a pas (un contrôle d'attention).",
    )

    objects = QuestionnaireQuerySet.as_manager()

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
            models.CheckConstraint(
                condition=Q(crosses_survey="", crosses_question="")
                | (~Q(crosses_survey="") & ~Q(crosses_question="")),
                name="question_crossing_names_survey_and_question",
                violation_error_message=(
                    "Une question croisée nomme l'enquête et la question qu'elle croise."
                ),
            ),
            models.CheckConstraint(
                condition=Q(lineage=Lineage.NEW, continues__isnull=True)
                | (~Q(lineage=Lineage.NEW) & Q(continues__isnull=False)),
                name="question_lineage_names_its_predecessor",
                violation_error_message=(
                    "Une question qui en continue une autre la nomme ; une nouvelle question "
                    "n'en nomme aucune."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.text[:60]}"

    def clean(self):
        """Its choices must suit its kind (the kind may have changed since they were made)."""
        if self.kind not in _kind_codes():
            return
        if problems := self.kind_class.group_problems(self):
            raise ValidationError({"group": problems})
        if self.pk is None:
            return
        errors = [
            error
            for choice in self.choices.all()
            if (error := choice.kind_error(self.kind_class)) is not None
        ]
        if errors:
            raise ValidationError({"kind": errors})

    @property
    def is_comparable(self):
        """Whether its figures may be set beside its predecessor's as a trend."""
        return self.lineage in Lineage.comparable()

    def current_code(self, earlier_code):
        """The code of this edition that an answer code of its predecessor became."""
        return self.recoding.get(earlier_code, earlier_code)

    @cached_property
    def active_choices(self):
        return [choice for choice in self.choices.all() if choice.is_active]

    @cached_property
    def active_items(self):
        return list(self.items.all())

    @property
    def kind_class(self):
        """This question's kind (survey/questionnaire/kinds): it owns the kind's rules."""
        from survey.questionnaire.kinds import kind_for

        return kind_for(self)

    # -- Display conditions -------------------------------------------------------------

    @staticmethod
    def answer_codes(kind, value):
        """The codes an answer stands for, so that conditions can test any choice-like kind."""
        from survey.questionnaire.kinds import kind_for

        if value is None:
            return set()
        return kind_for(kind).answer_codes(value)

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
        Each kind validates its own shape (survey/questionnaire/kinds).
        """
        if is_empty(value):
            return None
        return self.kind_class.clean(self, value)

    def check_required(self, cleaned_value):
        if self.required and cleaned_value is None:
            raise ValidationError("Cette question est obligatoire.", code="required")
        if self.required:
            missing = self.kind_class.missing_parts(self, cleaned_value)
            if missing:
                raise ValidationError(
                    "Répondez pour chaque ligne : il manque « %(items)s ».",
                    code="required",
                    params={"items": " », « ".join(missing)},
                )
        if cleaned_value is not None:
            self.kind_class.check_complete(self, cleaned_value)

    def choice_map(self):
        return {choice.code: choice for choice in self.active_choices}

    def check_bounds(self, number):
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


def is_empty(value):
    """No answer, whatever the kind (one definition, shared with the exports)."""
    return value is None or value == "" or value == [] or value == {}


def clean_text(text, limit):
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
# Thousands separators a respondent may type or be shown (space, no-break, narrow no-break),
# and the minus sign pages write (survey/numbers.py), read as a hyphen-minus.
GROUP_SEPARATORS = str.maketrans({" ": None, "\xa0": None, "\u202f": None, numbers.MINUS: "-"})


def ungroup(text):
    return text.strip().translate(GROUP_SEPARATORS)


def _format_number(number):
    """A bound in a message, written as the answers are (« 3 999 », « 0,5 »)."""
    return numbers.plain(decimal.Decimal(str(number)))


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
    is_dont_know = models.BooleanField(
        "« Je ne sais pas »",
        default=False,
        help_text="Une réponse comptée comme les autres, que les résultats et les exports "
        "signalent (déclaré dans le fichier du questionnaire : dont_know = true).",
    )
    is_active = models.BooleanField("actif", default=True)

    objects = QuestionnaireQuerySet.as_manager()

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

    def clean(self):
        if self.question_id is None or self.question.kind not in _kind_codes():
            return
        if error := self.kind_error(self.question.kind_class):
            raise ValidationError(error)

    def kind_error(self, kind):
        """Why this choice does not suit a question of `kind` (a Kind), or None."""
        if self.is_exclusive and not kind.allows_exclusive:
            return ValidationError(
                "Le choix « %(label)s » est exclusif, ce qui n'a de sens que pour un choix "
                "multiple.",
                code="exclusive_kind",
                params={"label": self.label},
            )
        if self.is_other and not kind.allows_other:
            return ValidationError(
                "Le choix « %(label)s » est un choix « Autre », à préciser : cela n'a de sens "
                "que pour un choix unique ou multiple.",
                code="other_kind",
                params={"label": self.label},
            )
        return None


class MatrixItem(models.Model):
    """A row of a matrix question, rated on the question's choices."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="items", verbose_name="question"
    )
    code = models.SlugField("code", max_length=60)
    label = models.CharField("libellé", max_length=300)
    position = models.PositiveSmallIntegerField("position")

    objects = QuestionnaireQuerySet.as_manager()

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


def _kind_codes():
    from survey.questionnaire.kinds import KINDS

    return KINDS


QUESTIONNAIRE_MODELS = (Edition, Section, Question, Choice, MatrixItem)


def connect_signals():
    """Any saved or deleted part of a questionnaire clears the cached structure (called by
    SurveyConfig.ready; the dispatch_uid keeps it from being connected twice)."""
    for model in QUESTIONNAIRE_MODELS:
        uid = f"forget_questionnaires_{model._meta.model_name}"
        models.signals.post_save.connect(forget_questionnaires, sender=model, dispatch_uid=uid)
        models.signals.post_delete.connect(forget_questionnaires, sender=model, dispatch_uid=uid)

"""What respondents answer: responses, answers, respondents, resume tokens, access requests,
and the declaration of personal data with its purge."""

import datetime
import hashlib
import secrets
import uuid

import orjson
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Aggregate, F, Func, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.crypto import salted_hmac

from survey.collection.journey import Journey
from survey.collectivites.models import Collectivite
from survey.enums import Lineage, ResponseStatus
from survey.questionnaire.models import Edition, Question, format_datetime


class ResponseQuerySet(models.QuerySet):
    def drafts(self):
        return self.filter(status=ResponseStatus.DRAFT)

    def submitted(self):
        return self.filter(status=ResponseStatus.SUBMITTED)


class AnswersObject(Aggregate):
    """{key: value} of answers as one JSON text built by the database (PostgreSQL's
    jsonb_object_agg, SQLite's json_group_object), keyed by question id or another column:
    one row and one decoding per response rather than one per answer."""

    function = "JSONB_OBJECT_AGG"
    # Left as text: decoded by orjson where it is read (3 to 4 times faster than json).
    output_field = TextField()

    def __init__(self, key="question_id", **extra):
        super().__init__(Cast(key, TextField()), F("value"), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        key, value, *rest = self.get_source_expressions()  # then the filter and the ordering
        clone = self.copy()
        clone.set_source_expressions([key, Func(value, function="JSON"), *rest])
        return clone.as_sql(compiler, connection, function="JSON_GROUP_OBJECT", **extra_context)


def answers_object(response, key="question_id", **filters):
    """A subquery: the answers of `response` (an OuterRef) as one JSON text {key: value}, or
    NULL when it has none; decode it with `decode_answers`."""
    return Subquery(
        Answer.objects.filter(response=response, **filters)
        .values("response")
        .annotate(answer_object=AnswersObject(key))
        .values("answer_object")
    )


def decode_answers(text):
    return orjson.loads(text) if text else {}


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
    suggestions = models.JSONField(
        "réponses suggérées",
        default=dict,
        blank=True,
        editable=False,
        help_text="Réponses de l'édition précédente de la collectivité aux questions identiques, "
        "proposées à confirmer : elles ne deviennent des réponses qu'une fois la page enregistrée.",
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

    def taken_by(self, collectivite):
        """The other response of this edition that already has `collectivite`, or None: what a
        colleague is told as soon as they pick it (assign_structure still decides)."""
        if collectivite is None or collectivite.pk == self.collectivite_id:
            return None
        return (
            Response.objects.filter(edition=self.edition_id, collectivite=collectivite)
            .exclude(pk=self.pk)
            .first()
        )

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
        self.suggestions = self.last_years_answers()
        try:
            with transaction.atomic():
                self.save(
                    update_fields=[
                        "collectivite",
                        "other_structure_name",
                        "other_structure_siren",
                        "suggestions",
                    ]
                )
        except IntegrityError:
            taken = self.collectivite
            self.refresh_from_db(
                fields=["collectivite", "other_structure_name", "other_structure_siren"]
            )
            raise CollectiviteTaken(
                Response.objects.get(edition=self.edition_id, collectivite=taken)
            ) from None

    def last_years_answers(self):
        """{code: value}: what the collectivité sent to the previous edition for the questions
        that continue it identically, not yet answered here. Answers that describe the person
        (not published in open data) are never carried over: the agent may have changed."""
        if self.collectivite_id is None:
            return {}
        answered = set(self.answers.values_list("question_id", flat=True)) if self.pk else set()
        identical = {
            question.continues_id: question.code
            for question in self.edition.questions.filter(
                lineage=Lineage.IDENTICAL, open_data=True, is_active=True
            ).exclude(pk__in=answered)
        }
        earlier = Answer.objects.filter(
            question_id__in=identical,
            response__status=ResponseStatus.SUBMITTED,
            response__collectivite=self.collectivite_id,
        ).values_list("question_id", "value")
        return {identical[question_id]: value for question_id, value in earlier}

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
            self.progress = Journey.for_collectivites(self).progress
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

    def values_at_lookup(self):
        """The answers read along with the response when it was found by its resume token
        (ResumeToken.find_respondent: one query for both), or read now. Taken once: a later
        call reads them again."""
        values = self.__dict__.pop("_values_at_lookup", None)
        return values if values is not None else self.values_by_code()

    def save_answers(self, sections, cleaned, completed_section=None, base_version=None):
        """Store one page's answers ({Question: value or None}) in one transaction.

        `base_version` is the response's version when the page was displayed: answers of
        these questions changed since then (in another tab or device) and different from
        what is posted raise EditConflict instead of being overwritten silently.
        Three statements whatever the number of questions on the page: the response locked
        and read with its answers, the page's answers and the response written in one
        statement (PostgreSQL; three on other databases), the commit. Returns the answers by
        code as saved.
        """
        # No savepoint: a caller's transaction (the page also records the collectivité) is
        # this one. Nothing is raised inside it (an error there would break the caller's
        # transaction): a refused save writes nothing and raises once the block is left.
        with transaction.atomic(savepoint=False):
            version, completed, values, newer = self._lock_for_saving(cleaned, base_version)
            conflicts = {
                question: newer[question.code]
                for question, value in cleaned.items()
                if question.code in newer and newer[question.code] != value
            }
            # The time written on every row: a request in flight at the deadline commits
            # nothing dated after the close.
            now = timezone.now()
            if not conflicts and self.edition.is_open(now):
                for question, value in cleaned.items():
                    if value is None:
                        values.pop(question.code, None)
                    else:
                        values[question.code] = value
                if completed_section and completed_section.slug not in completed:
                    completed.append(completed_section.slug)
                fields = {
                    "completed_sections": completed,
                    "progress": Journey.for_collectivites(
                        self, sections=sections, values=values
                    ).progress,
                    "version": version + 1,
                    "updated_at": now,
                    # A suggestion saved with its page is an answer now, or was set aside.
                    "suggestions": {
                        code: value
                        for code, value in self.suggestions.items()
                        if code not in {question.code for question in cleaned}
                    },
                }
                self._write_page(cleaned, fields)
        if conflicts:
            raise EditConflict(conflicts, version)
        self.edition.check_open(now)
        for field, value in fields.items():
            setattr(self, field, value)
        return values

    def _lock_for_saving(self, cleaned, base_version):
        """(version, completed sections, answers by code, answers by code changed since
        `base_version` among the page's questions), the response locked, in one query."""
        check = base_version is not None
        row = (
            Response.objects.select_for_update(of=("self",))
            .filter(pk=self.pk)
            .annotate(
                saved=answers_object(OuterRef("pk"), key="question__code"),
                newer=answers_object(
                    OuterRef("pk"),
                    key="question__code",
                    question__in=[question.pk for question in cleaned],
                    version__gt=base_version if check else 0,
                )
                if check
                else models.Value(None, output_field=TextField()),
            )
            .values_list("version", "completed_sections", "saved", "newer")
            .get()
        )
        version, completed, saved, newer = row
        newer = decode_answers(newer) if check and base_version < version else {}
        return version, list(completed), decode_answers(saved), newer

    def _write_page(self, cleaned, fields):
        """The page's answers (upserted, or deleted when emptied) and the response's `fields`
        (version, progress, completed pages, time)."""
        to_delete = [question.pk for question, value in cleaned.items() if value is None]
        to_save = [
            Answer(
                response=self,
                question=question,
                value=value,
                version=fields["version"],
                updated_at=fields["updated_at"],
            )
            for question, value in cleaned.items()
            if value is not None
        ]
        if connection.vendor == "postgresql":
            self._write_page_in_one_statement(to_delete, to_save, fields)
            return
        if to_delete:
            self.answers.filter(question_id__in=to_delete).delete()
        if to_save:
            Answer.objects.bulk_create(
                to_save,
                update_conflicts=True,
                unique_fields=["response", "question"],
                update_fields=["value", "version", "updated_at"],
            )
        Response.objects.filter(pk=self.pk).update(**fields)

    def _write_page_in_one_statement(self, to_delete, to_save, fields):
        """PostgreSQL: the deletion, the upsert and the response's update as one statement
        (data-modifying WITH clauses, which run whether or not they are referenced)."""
        value_field = Answer._meta.get_field("value")
        # Only table names (the models') and placeholders are interpolated: every value goes
        # as a parameter.
        answers = connection.ops.quote_name(Answer._meta.db_table)
        responses = connection.ops.quote_name(Response._meta.db_table)
        clauses, params = [], []
        if to_delete:
            clauses.append(
                f"removed AS (DELETE FROM {answers} WHERE response_id = %s "  # noqa: S608
                "AND question_id = ANY(%s))"
            )
            params += [self.pk, to_delete]
        if to_save:
            rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(to_save))
            clauses.append(
                f"saved AS (INSERT INTO {answers} "  # noqa: S608
                "(response_id, question_id, value, version, updated_at) "
                f"VALUES {rows} ON CONFLICT (response_id, question_id) DO UPDATE SET "
                "value = EXCLUDED.value, version = EXCLUDED.version, "
                "updated_at = EXCLUDED.updated_at)"
            )
            for answer in to_save:
                params += [
                    self.pk,
                    answer.question_id,
                    value_field.get_db_prep_save(answer.value, connection),
                    answer.version,
                    answer.updated_at,
                ]
        completed = Response._meta.get_field("completed_sections")
        suggestions = Response._meta.get_field("suggestions")
        update = (
            f"UPDATE {responses} SET completed_sections = %s, progress = %s, "  # noqa: S608
            "version = %s, updated_at = %s, suggestions = %s WHERE id = %s"
        )
        params += [
            completed.get_db_prep_save(fields["completed_sections"], connection),
            fields["progress"],
            fields["version"],
            fields["updated_at"],
            suggestions.get_db_prep_save(fields["suggestions"], connection),
            self.pk,
        ]
        statement = (f"WITH {', '.join(clauses)} " if clauses else "") + update
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

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


GRANT_SALT = "survey.collection.grant"


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
    def revoke(cls, token):
        """The link of that clear token stops working (nothing when it is unknown)."""
        if isinstance(token, str) and 20 <= len(token) <= 100:
            cls.objects.filter(token_hash=hash_token(token)).delete()

    @classmethod
    def find_respondent(cls, token):
        """The respondent a clear token belongs to, or None. Looked up by hash, not compared.

        The response's answers come in the same query (Response.values_at_lookup): a page
        needs them all, for its display conditions and the progress."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        found = (
            cls.objects.select_related("respondent__response__edition")
            .annotate(
                answer_object=answers_object(OuterRef("respondent__response"), key="question__code")
            )
            .filter(token_hash=hash_token(token))
            .first()
        )
        if found is None:
            return None
        found.respondent.response._values_at_lookup = decode_answers(found.answer_object)
        return found.respondent


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
        """A new request; returns it with its grant token (also made again when mailed)."""
        placeholder = secrets.token_hex(32)  # unique until the row has the pk its token needs
        request = cls.objects.create(response=response, email=email, token_hash=placeholder)
        token = request.grant_token()
        request.token_hash = hash_token(token)
        request.save(update_fields=["token_hash"])
        return request, token

    def grant_token(self):
        """The grant link's secret, derived from the row with the site's secret key: each
        email is written with it when sent, and the database keeps only its hash."""
        value = f"{self.pk}:{int(self.created_at.timestamp() * 1_000_000)}"
        return salted_hmac(GRANT_SALT, value, algorithm="sha256").hexdigest()

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
        """Share the response with the requester; return their new respondent (whose resume
        link is written into the email when it is sent), or None when the link was used,
        revoked or has expired meanwhile (single use)."""
        with transaction.atomic():
            locked = AccessRequest.objects.select_for_update().get(pk=self.pk)
            if not locked.is_usable():
                self.granted_at, self.revoked_at = locked.granted_at, locked.revoked_at
                return None
            locked.granted_at = timezone.now()
            locked.save(update_fields=["granted_at"])
            respondent = Respondent.objects.create(response=self.response, email=self.email)
        self.granted_at = locked.granted_at
        return respondent


# Every field that holds personal data, declared once. It drives `erase_personal_data` (and
# so `purge_personal_data`), who may see, search, filter or export these fields (the
# « view_contact_details » permission), and the test that checks the whole database after a
# purge. Answers to questions with `open_data` off describe the respondent: personal too.
PERSONAL_FIELDS = {
    Respondent: ("email", "name", "role"),
    AccessRequest: ("email",),
    Response: ("other_structure_name",),  # may be a person's business name
}
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

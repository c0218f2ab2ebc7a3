"""Invitations and reminders: contacts, the schedule of an edition, the texts staff write,
and the addresses that asked for no more mail. The emails themselves are outbox Messages.
"""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from outbox.models import (  # noqa: F401 (the message log moved to outbox; still named here)
    CAMPAIGN_KINDS,
    Message,
    MessageKind,
    MessageStatus,
    normalise_email,
)
from survey.collectivites.models import Collectivite
from survey.questionnaire.models import Edition


class Contact(models.Model):
    """Someone to invite on behalf of a collectivité, imported by staff for one edition.

    Personal data, kept apart from the answers and erased by `purge_personal_data`.
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="contacts", verbose_name="édition"
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="contacts", verbose_name="collectivité"
    )
    email = models.EmailField("adresse électronique")
    name = models.CharField("nom", max_length=200, blank=True)
    function = models.CharField("fonction", max_length=200, blank=True)
    undeliverable_at = models.DateTimeField("injoignable depuis", null=True, blank=True)
    undeliverable_reason = models.CharField("motif", max_length=200, blank=True)
    created_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["collectivite__name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "collectivite", "email"],
                name="one_contact_per_address_collectivite_and_edition",
                violation_error_message="Ce contact existe déjà pour cette collectivité.",
            ),
        ]

    def __str__(self):
        return f"Contact de {self.collectivite}"

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class StepKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    REMINDER = "reminder", "Relance"
    CLOSING_NOTICE = "closing", "Avis de clôture (48 h avant)"


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
DEFAULT_SEND_TIME = datetime.time(9, 30)  # a working morning, Paris time


class Step(models.Model):
    """One sending of an edition's campaign: the invitation, a reminder at J-n, or the notice
    48 hours before the close."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="campaign_steps", verbose_name="édition"
    )
    kind = models.CharField("type", max_length=12, choices=StepKind)
    days_before_close = models.PositiveSmallIntegerField(
        "jours avant la clôture",
        null=True,
        blank=True,
        help_text="J-21, J-7, J-2… Vide pour une invitation envoyée à la main.",
    )
    under_covered_only = models.BooleanField(
        "strates sous l'objectif seulement",
        default=False,
        help_text="Ne viser que les collectivités des strates dont le taux de réponse est "
        "sous l'objectif (page de suivi de la collecte).",
    )
    send_time = models.TimeField(
        "heure d'envoi",
        default=DEFAULT_SEND_TIME,
        help_text="Heure de Paris, le jour J-n (les avis de clôture partent 48 h avant la "
        "clôture).",
    )
    started_at = models.DateTimeField("envoi lancé le", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "étape de campagne"
        verbose_name_plural = "étapes de campagne"
        ordering = ["edition", "kind", "-days_before_close"]
        permissions = [("send_campaign", "Lancer les envois d'une campagne")]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "kind", "days_before_close"],
                name="one_step_per_kind_and_day",
                violation_error_message="Cette étape existe déjà pour cette édition.",
            ),
            models.CheckConstraint(
                condition=Q(kind=StepKind.INVITATION)
                | Q(days_before_close__isnull=False)
                | Q(kind=StepKind.CLOSING_NOTICE),
                name="reminder_has_a_day",
                violation_error_message="Une relance doit avoir un nombre de jours avant la "
                "clôture.",
            ),
        ]

    def __str__(self):
        if self.kind == StepKind.REMINDER:
            return f"Relance J-{self.days_before_close}"
        if self.kind == StepKind.INVITATION and self.days_before_close is not None:
            return f"Invitation J-{self.days_before_close}"
        return self.get_kind_display()

    @property
    def due_at(self):
        """When the step is sent by `send_due_steps`; None for an invitation sent by hand."""
        if self.kind == StepKind.CLOSING_NOTICE:
            return self.edition.closes_at - datetime.timedelta(hours=48)
        if self.days_before_close is None:
            return None
        # The day J-n in Paris, at the hour staff chose (not the close's own hour, 23 h 59).
        day = (self.edition.closes_at.astimezone(PARIS) - datetime.timedelta(
            days=self.days_before_close)).date()  # fmt: skip
        return datetime.datetime.combine(day, self.send_time, tzinfo=PARIS)


class StepText(models.Model):
    """The text staff wrote for one kind of message of a step, with its placeholders and
    never a link (links are made when each email is written: outbox.kinds.render)."""

    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, related_name="texts", verbose_name="étape"
    )
    kind = models.CharField(
        "message", max_length=24, choices=[(k.value, k.label) for k in MessageKind
                                           if k in CAMPAIGN_KINDS]
    )  # fmt: skip
    subject = models.CharField("objet", max_length=300)
    body = models.TextField("texte")
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "texte d'une étape"
        verbose_name_plural = "textes des étapes"
        constraints = [
            models.UniqueConstraint(
                fields=["step", "kind"],
                name="one_text_per_step_and_message_kind",
                violation_error_message="Ce message de l'étape a déjà un texte.",
            )
        ]

    def __str__(self):
        return f"{self.step} — {self.get_kind_display()}"

    def clean(self):
        from campaigns import texts

        errors = {}
        for field, is_subject in (("subject", True), ("body", False)):
            try:
                texts.check(self.kind, getattr(self, field), subject=is_subject)
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)


class OptOut(models.Model):
    """An address that asked for no more mail about an edition (one-click unsubscribe), or
    that the provider reported as bouncing or complaining (edition empty: every edition)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Désinscription"
        BOUNCED = "bounced", "Adresse rejetée"
        COMPLAINED = "complained", "Plainte pour courrier indésirable"

    edition = models.ForeignKey(
        Edition,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="opt_outs",
        verbose_name="édition",
    )
    email = models.EmailField("adresse électronique")
    reason = models.CharField("motif", max_length=12, choices=Reason)
    created_at = models.DateTimeField("le", default=timezone.now)

    class Meta:
        verbose_name = "adresse exclue des envois"
        verbose_name_plural = "adresses exclues des envois"
        constraints = [
            models.UniqueConstraint(
                fields=["email", "edition"],
                name="one_opt_out_per_address_and_edition",
                violation_error_message="Cette adresse est déjà exclue des envois.",
            ),
            # The constraint above does not hold for an empty edition (NULLs are distinct):
            # concurrent bounces of one address would each add a row.
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(edition__isnull=True),
                name="one_opt_out_per_address_for_every_edition",
                violation_error_message="Cette adresse est déjà exclue de tous les envois.",
            ),
        ]

    def __str__(self):
        return self.get_reason_display()

    @classmethod
    def excludes(cls, email, edition_id):
        return cls.objects.filter(
            Q(edition_id=edition_id) | Q(edition__isnull=True), email=normalise_email(email)
        ).exists()


# Personal data of campaigns, erased by `purge_personal_data` with the edition's answers.
PERSONAL_FIELDS = {
    Contact: ("email", "name", "function"),
    Message: ("recipient", "body_text"),
    OptOut: ("email",),
}


def erase_personal_data(editions, before):
    """Erase the campaigns' personal data of `editions` (a queryset), and of messages and
    provider opt-outs not tied to an edition and older than `before`. Returns counts by name."""
    messages = Message.objects.filter(Q(edition__in=editions) | Q(edition__isnull=True,
                                      created_at__lt=before))  # fmt: skip
    return {
        "messages": messages.exclude(recipient="", body_text="").update(recipient="", body_text=""),
        "contacts": Contact.objects.filter(edition__in=editions).delete()[0],
        "adresses exclues des envois": OptOut.objects.filter(
            Q(edition__in=editions) | Q(edition__isnull=True, created_at__lt=before)
        ).delete()[0],
    }

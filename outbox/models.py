"""The message log: every email of the platform is a Message row first, sent afterwards by a
background task (`outbox.tasks.send_message`); the row is the delivery log and, for a campaign,
the guard against sending the same step twice (a unique constraint taken before anything leaves).

The table is still `campaigns_message`, the name it had before the outbox app took it over.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


def normalise_email(email):
    return (email or "").strip().lower()


class MessageKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    REMINDER_NOT_STARTED = "reminder-not-started", "Relance : invité, pas commencé"
    REMINDER_DRAFT = "reminder-draft", "Relance : brouillon non envoyé"
    CLOSING_NOTICE = "closing-notice", "Avis de clôture"
    RESUME_LINK = "resume-link", "Lien de reprise"
    RESUME_LINKS = "resume-links", "Liens de reprise demandés par adresse"
    RECEIPT = "receipt", "Accusé de réception"
    ACCESS_REQUEST = "access-request", "Demande d'accès"
    ACCESS_GRANTED = "access-granted", "Accès accordé"
    STEP_TEST = "step-test", "Essai d'une étape, envoyé à soi-même"


# Campaign messages carry the one-click unsubscribe; the others answer the respondent's own
# action (a resume link, a receipt) and are not marketing.
CAMPAIGN_KINDS = {
    MessageKind.INVITATION,
    MessageKind.REMINDER_NOT_STARTED,
    MessageKind.REMINDER_DRAFT,
    MessageKind.CLOSING_NOTICE,
}


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    SENT = "sent", "Remis au serveur d'envoi"
    FAILED = "failed", "Échec"
    BOUNCED = "bounced", "Rejeté par le destinataire"
    CANCELLED = "cancelled", "Annulé (désinscrit ou injoignable)"


class MessageQuerySet(models.QuerySet):
    def due(self, now=None):
        """Queued and due, whether never tried or waiting for a retry."""
        return self.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now or timezone.now())


class Message(models.Model):
    """One email, from its queuing to its delivery: the delivery log.

    A message carrying a personal link (resume, access, invitation, unsubscribe) is written
    when sent, from its kind and the rows it points to, with a link made at that moment: no
    link is ever stored. Only a receipt, which holds none, keeps its text until it is sent.
    """

    kind = models.CharField("type", max_length=24, choices=MessageKind)
    edition = models.ForeignKey(
        "survey.Edition",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name="édition",
    )
    step = models.ForeignKey(
        "campaigns.Step",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name="étape",
    )
    contact = models.ForeignKey(
        "campaigns.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name="contact",
    )
    respondent = models.ForeignKey(
        "survey.Respondent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="répondant",
    )
    access_request = models.ForeignKey(
        "survey.AccessRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demande d'accès",
    )
    recipient = models.EmailField("destinataire", blank=True)
    subject = models.CharField("objet", max_length=300, blank=True)
    body_text = models.TextField("texte", blank=True)
    status = models.CharField(
        "statut", max_length=10, choices=MessageStatus, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    provider_id = models.CharField(
        "identifiant chez le prestataire", max_length=200, blank=True, db_index=True
    )
    provider_event = models.CharField("dernier événement du prestataire", max_length=50, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "journal des envois"
        db_table = "campaigns_message"  # the table it had in campaigns, kept when it moved
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
        ]
        constraints = [
            # Taken when the step is queued, before anything is sent: a worker that dies and
            # a second run of the step cannot send the same step twice.
            models.UniqueConstraint(
                fields=["contact", "edition", "step"],
                condition=Q(step__isnull=False, contact__isnull=False),
                name="one_message_per_contact_and_step",
                violation_error_message="Ce contact a déjà reçu cette étape.",
            ),
            # An address may be a contact, or hold drafts, for several collectivités: it gets
            # the step once for each (each message is about one collectivité and its link).
            models.UniqueConstraint(
                fields=["respondent", "edition", "step"],
                condition=Q(step__isnull=False, respondent__isnull=False),
                name="one_message_per_respondent_and_step",
                violation_error_message="Ce répondant a déjà reçu cette étape.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} du {timezone.localtime(self.created_at):%d/%m/%Y}"

    @property
    def is_campaign(self):
        return self.kind in CAMPAIGN_KINDS

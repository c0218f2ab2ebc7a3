"""Staff accounts: the one-time link that lets a staff member set up their first
authenticator app (the password alone does not)."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class EnrolmentLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(used_at=None, created_at__gt=now - EnrolmentLink.VALID_FOR)


class EnrolmentLink(models.Model):
    """Issued by a superuser to one staff member, who opens it, signs in with their password
    and scans the QR code: works once, for VALID_FOR; stored as its SHA-256 only."""

    VALID_FOR = datetime.timedelta(days=3)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolment_links",
        verbose_name="compte",
    )
    token_hash = models.CharField("empreinte", max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)

    objects = EnrolmentLinkQuerySet.as_manager()

    class Meta:
        verbose_name = "lien d'inscription à la double authentification"
        verbose_name_plural = "liens d'inscription à la double authentification"
        ordering = ["-created_at"]

    def __str__(self):
        return f"Lien d'inscription du {timezone.localtime(self.created_at):%d/%m/%Y}"

    @property
    def expires_at(self):
        return self.created_at + self.VALID_FOR

    @classmethod
    def issue(cls, user, by=None):
        """A new link for `user` (their earlier unused ones stop working); returns it with
        its token, shown once and never stored."""
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            cls.objects.filter(user=user, used_at=None).delete()
            link = cls.objects.create(user=user, created_by=by, token_hash=hash_token(token))
        return link, token

    @classmethod
    def find(cls, token):
        """The usable link of a clear token, or None."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        return (
            cls.objects.usable().select_related("user").filter(token_hash=hash_token(token)).first()
        )

    def use(self):
        """Spend the link; False when it was used or expired meanwhile (single use)."""
        with transaction.atomic():
            spent = EnrolmentLink.objects.usable().filter(pk=self.pk).update(used_at=timezone.now())
        return spent == 1

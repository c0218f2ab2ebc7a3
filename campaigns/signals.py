"""Bounces and complaints reported by the mail provider (django-anymail's tracking webhook,
authenticated by ANYMAIL_WEBHOOK_SECRET): the address gets no more mail."""

from anymail.signals import tracking
from django.dispatch import receiver
from django.utils import timezone

from campaigns.models import Contact, Message, MessageStatus, OptOut, normalise_email

UNDELIVERABLE = {
    "bounced": OptOut.Reason.BOUNCED,
    "rejected": OptOut.Reason.BOUNCED,
    "complained": OptOut.Reason.COMPLAINED,
}


@receiver(tracking, dispatch_uid="campaigns.undeliverable")
def mark_undeliverable(sender, event, esp_name, **kwargs):
    reason = UNDELIVERABLE.get(event.event_type)
    email = normalise_email(event.recipient)
    if event.message_id:
        Message.objects.filter(provider_id=event.message_id).update(
            provider_event=event.event_type[:50],
            **({"status": MessageStatus.BOUNCED} if reason else {}),
        )
    if reason is None or not email:
        return
    OptOut.objects.get_or_create(email=email, edition=None, defaults={"reason": reason})
    Contact.objects.filter(email=email, undeliverable_at__isnull=True).update(
        undeliverable_at=timezone.now(),
        undeliverable_reason=f"{OptOut.Reason(reason).label} ({esp_name})"[:200],
    )

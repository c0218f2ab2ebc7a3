"""Queuing and sending messages: every email of the platform goes through here.

`queue()` writes a Message and enqueues its sending once the transaction commits; the task
calls `deliver()`, which holds the row's lock while the mail server answers, so that two
workers never send the same message and a worker that dies leaves it queued for the sweep.
The email is written at that moment from its kind's templates (outbox.kinds).
"""

import datetime
import logging
import re
import smtplib
from email import policy as email_policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from outbox import kinds
from outbox.models import Message, MessageKind, MessageStatus, normalise_email
from survey.typography import typeset

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd… attempt after a temporary failure; then the message fails.
BACKOFF = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=10),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=6),
]
MAX_ATTEMPTS = len(BACKOFF) + 1


def queue(kind, recipient, subject="", body_text="", *, edition=None, **rows):
    """Queue one message; sent after commit. Its email is written when sent, from its kind's
    templates and the rows given here (`respondent`, `access_request`, `contact`, `step`):
    a personal link is made then and never stored. `subject` and `body_text` hold what a
    kind keeps until it is sent (a step's text tried by staff, a receipt's answers)."""
    message = Message.objects.create(
        kind=kind,
        edition=edition,
        recipient=normalise_email(recipient),
        subject=typeset(subject),
        body_text=typeset(body_text),
        **rows,
    )
    enqueue_on_commit([message.pk])
    return message


def enqueue_on_commit(pks):
    from outbox.tasks import send_message

    def enqueue():
        for pk in pks:
            send_message.enqueue(pk)

    transaction.on_commit(enqueue)


class Email(EmailMultiAlternatives):
    """Headers folded at SMTP's 998 characters rather than 78: Python would otherwise write a
    long List-Unsubscribe address as an encoded word, which mail clients do not read as a URL
    (RFC 2369 headers are structured)."""

    def message(self, *, policy=email_policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def build(message):
    subject, text, html = kinds.render(message)
    email = Email(subject, text, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    email.attach_alternative(html, "text/html")
    unsubscribe_url = kinds.of(message).unsubscribe_url
    if unsubscribe_url is not None:
        # RFC 8058: a mail client may unsubscribe with one POST to that address, no login.
        email.extra_headers["List-Unsubscribe"] = f"<{unsubscribe_url(message)}>"
        email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.extra_headers["X-Barometre-Message"] = str(message.pk)
    return email


def _refusals(error):
    """[(code, text)] of a refused recipient (SMTPRecipientsRefused holds them by address)."""
    refusals = []
    for refusal in (getattr(error, "recipients", None) or {}).values():
        code, text = (tuple(refusal) + (None, None))[:2]
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        refusals.append((code, text or ""))
    return refusals


def is_permanent(error):
    """A refusal the mail server will repeat (5xx), not a passing failure (4xx, such as a
    greylisting 451 at RCPT, or a lost connection)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in _refusals(error)]
        return not codes or not all(isinstance(c, int) and 400 <= c < 500 for c in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


# Anything with an @ in a server's answer: the recipient's address, however it is quoted.
ADDRESS = re.compile(r'(?:"[^"]*"|[^\s<>()\[\],;]*)@[^\s<>()\[\],;]*')
MASKED_ADDRESS = "[adresse masquée]"


def describe_error(error):
    """The mail server's answer for the delivery log, without any address: staff who follow
    campaigns read it without the contacts' permission."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = " ; ".join(f"{code} {answer}".strip() for code, answer in _refusals(error))
    elif isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        if isinstance(answer, bytes):
            answer = answer.decode("utf-8", errors="replace")
        text = f"{error.smtp_code} {answer}"
    else:
        text = str(error)
    return ADDRESS.sub(MASKED_ADDRESS, f"{name}: {text}")[:500]


def deliver(pk, now=None, backend=None):
    """Send one queued message; returns its status afterwards (or None: not ours to send).

    `backend`: an open mail backend to reuse (a batch sends through one SMTP connection).
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "edition",
                "contact__collectivite",
                "respondent__response__edition",
                "respondent__response__collectivite",
                "access_request__response__edition",
                "access_request__response__collectivite",
            )
            .filter(pk=pk, status=MessageStatus.QUEUED)
            .first()
        )
        if message is None:
            return None
        now = now or timezone.now()
        if not kinds.of(message).still_wanted(message):
            message.status = MessageStatus.CANCELLED
            if message.kind == MessageKind.RESUME_LINKS:
                message.recipient = ""  # an address that has no draft is nobody we know
            message.save(update_fields=["status", "recipient"])
            return message.status
        message.attempts += 1
        email = build(message)
        try:
            if backend is None:
                email.send()
            else:
                backend.send_messages([email])
        except (OSError, smtplib.SMTPException) as error:
            if backend is not None:
                backend.close()  # the next message opens a fresh connection
            message.last_error = describe_error(error)
            if is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
                message.body_text = ""  # never to be sent: no resume link kept either
            else:
                message.next_attempt_at = now + BACKOFF[message.attempts - 1]
            logger.warning("Message %s not sent: %s", message.pk, type(error).__name__)
        else:
            message.status, message.sent_at, message.last_error = MessageStatus.SENT, now, ""
            # A provider backend (django-anymail) tells its message id, which its webhook
            # reports bounces and complaints with.
            status = getattr(email, "anymail_status", None)
            provider_id = getattr(status, "message_id", None)
            message.provider_id = "" if provider_id is None else str(provider_id)[:200]
            message.body_text = ""  # a receipt's copy of the answers: not kept once sent
        message.save(
            update_fields=[
                "status", "attempts", "last_error", "next_attempt_at", "sent_at", "body_text",
                "provider_id",
            ]
        )  # fmt: skip
    if message.status == MessageStatus.QUEUED:
        schedule_retry(message)
    return message.status


def schedule_retry(message):
    """Enqueue the retry for its time when the backend can defer; the sweep does otherwise."""
    from outbox.tasks import send_message

    if send_message.get_backend().supports_defer:
        send_message.using(run_after=message.next_attempt_at).enqueue(message.pk)

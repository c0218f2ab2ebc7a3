"""Queuing and sending messages: every email of the platform goes through here.

`queue()` writes a Message and enqueues its sending once the transaction commits; the task
calls `deliver()`, which holds the row's lock while the mail server answers, so that two
workers never send the same message and a worker that dies leaves it queued for the sweep.
"""

import datetime
import logging
import re
import smtplib
from email import policy as email_policy

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from campaigns import texts
from campaigns.models import Message, MessageKind, MessageStatus, OptOut, normalise_email
from survey.enums import ResponseStatus
from survey.links import site_url
from survey.typography import typeset, typeset_html

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd… attempt after a temporary failure; then the message fails.
BACKOFF = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=10),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=6),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
# Written when sent, with a personal link made then; their text is never stored.
LINKED_KINDS = {
    MessageKind.RESUME_LINK,
    MessageKind.RESUME_LINKS,
    MessageKind.ACCESS_REQUEST,
    MessageKind.ACCESS_GRANTED,
}
UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
INVITATION_SALT = "campaigns.invitation"
# An invitation link opens the collectivité's response: it works for 30 days after its email
# was written (each reminder carries a fresh one), and never after the edition's close.
INVITATION_VALID_FOR = datetime.timedelta(days=30)


def queue(kind, recipient, subject, body_text="", *, edition=None, **rows):
    """Queue one message; sent after commit. A message that carries a personal link gives
    the rows its link is made from (`respondent`, `access_request`), never a written body."""
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
    from campaigns.tasks import send_message

    def enqueue():
        for pk in pks:
            send_message.enqueue(pk)

    transaction.on_commit(enqueue)


def unsubscribe_token(message):
    return signing.dumps(message.pk, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(message):
    return site_url() + reverse("campaigns:unsubscribe", args=[unsubscribe_token(message)])


def invitation_token(contact):
    return signing.dumps(contact.pk, salt=INVITATION_SALT)


def invitation_url(contact):
    return site_url() + reverse("campaigns:invitation", args=[invitation_token(contact)])


def resume_url(respondent):
    """A fresh resume link: its token exists in clear only in the email being written."""
    return site_url() + reverse("resume", args=[respondent.new_token()])


def drafts_of(email):
    """The respondents of that address whose edition is still open (« Reprendre mes
    réponses » sends a link for each)."""
    from survey.collection.models import Respondent

    return Respondent.objects.filter(
        email__iexact=email, response__edition__closes_at__gt=timezone.now()
    ).select_related("response__edition", "response__collectivite")


def linked_text(message):
    """The plain text of a message that carries a personal link, written now."""
    kind, respondent = message.kind, message.respondent
    if kind == MessageKind.RESUME_LINK:
        template = "survey/emails/resume_link.txt"
        context = {"edition": message.edition, "url": resume_url(respondent)}
    elif kind == MessageKind.RESUME_LINKS:
        template = "survey/emails/resume_links.txt"
        context = {"links": [(r.response, resume_url(r)) for r in drafts_of(message.recipient)]}
    elif kind == MessageKind.ACCESS_REQUEST:
        access = message.access_request
        template = "survey/emails/access_request.txt"
        url = site_url() + reverse("grant_access", args=[access.grant_token()])
        context = {"access": access, "response": access.response, "url": url}
    else:
        template = "survey/emails/access_granted.txt"
        context = {"response": respondent.response, "url": resume_url(respondent)}
    return typeset(render_to_string(template, context))


def render(message):
    """(subject, plain text, HTML or None) of a message, written now: personal links are
    made at this moment, from the contact, respondent or access request of the message."""
    if message.kind in LINKED_KINDS:
        return message.subject, linked_text(message), None
    if message.kind == MessageKind.STEP_TEST:
        # A step's text as staff tried it (subject and body hold the templates, no link),
        # written for a sample recipient with links that open nothing.
        values = sample_values(message.edition, message.step)
        subject, text, html = write(message.subject, message.body_text, values)
        return f"[Essai] {subject}", text, html
    if not message.is_campaign:
        return message.subject, message.body_text, None
    subject, body = step_text(message.step, message.kind)
    return write(subject, body, campaign_values(message))


def step_text(step, kind):
    """(subject, body) templates of `kind` in `step`: staff's text, or the default one."""
    written = None if step is None else step.texts.filter(kind=kind).first()
    if written is not None:
        return written.subject, written.body
    return texts.default_text(kind)


def closing_date(edition):
    return date_format(timezone.localtime(edition.closes_at), "DATETIME_FORMAT")


def campaign_values(message):
    """The placeholders' values for the recipient of a campaign message, links made now."""
    edition = message.edition
    values = {
        "edition": edition.title,
        "date_cloture": closing_date(edition),
        "lien_desinscription": unsubscribe_url(message),
    }
    if message.kind in (MessageKind.INVITATION, MessageKind.REMINDER_NOT_STARTED):
        values["lien"] = invitation_url(message.contact)
        values["collectivite"] = str(message.contact.collectivite)
        values["nom"] = inert(message.contact.name)
    else:
        respondent = message.respondent
        response = respondent.response
        values["lien"] = resume_url(respondent)
        values["collectivite"] = (
            str(response.collectivite)
            if response.collectivite
            else inert(response.structure_label) or "votre structure"
        )
    return values


SAMPLE_NAME = "Camille Exemple"


def sample_collectivite(step, found=None):
    """The collectivité of the step's first recipient (the preview and the tests show it),
    or None."""
    from campaigns.audience import recipients

    if step is None:
        return None
    found = recipients(step) if found is None else found
    return next((recipient.collectivite for recipient in found if recipient.collectivite), None)


def sample_values(edition, step=None, collectivite=None):
    """The placeholders' values for a sample recipient (the preview, a test sent to staff):
    the collectivité of the step's first recipient, a made-up name, and links that open
    nothing (a test must never carry a working link to someone's response)."""
    collectivite = collectivite or sample_collectivite(step)
    return {
        "edition": edition.title,
        "date_cloture": closing_date(edition),
        "collectivite": str(collectivite) if collectivite else "Commune exemple",
        "nom": SAMPLE_NAME,
        "lien": site_url() + reverse("campaigns:invitation", args=["exemple"]),
        "lien_desinscription": site_url() + reverse("campaigns:unsubscribe", args=["exemple"]),
    }


def write(subject_template, body_template, values):
    """(subject, plain text, HTML) from a step's templates and a recipient's values."""
    text = typeset(texts.fill(body_template, values)).strip()
    subject = typeset(texts.fill(subject_template, values)).strip()
    body = html_text(text, [values["lien"], values["lien_desinscription"]])
    html = typeset_html(
        render_to_string("campaigns/emails/message.html", {"subject": subject, "body": body})
    )
    return subject, text, html


def queue_step_test(step, kind, recipient, subject, body):
    """Queue a test of one text of `step` to a staff member's own address: a STEP_TEST
    message, which no campaign count reads."""
    return queue(MessageKind.STEP_TEST, recipient, subject, body, edition=step.edition, step=step)


# What mail clients turn into a link in plain text: a scheme, « www. », an address, a domain.
LOOKS_LIKE_A_LINK = re.compile(r"://|\bwww\.|@|\b[\w-]+\.[a-z]{2,}\b", re.IGNORECASE)


def inert(value):
    """A name typed by someone else (a contact's, an « autre structure »), left out of the
    email when a mail client would make a link of it: the Observatoire's messages carry
    its own links only."""
    if not value or LOOKS_LIKE_A_LINK.search(value):
        return ""
    return value


def html_text(text, links):
    """The plain text as HTML paragraphs where the message's own links, and nothing else,
    are clickable (Django's `urlize` would link any address in any name)."""
    urls = sorted(set(links), key=len, reverse=True)
    pattern = re.compile("(" + "|".join(re.escape(url) for url in urls) + r")(?=\s|$)")

    def line_html(line):
        parts = pattern.split(line)  # the links at odd positions
        return format_html_join(
            "",
            "{}",
            ((format_html('<a href="{0}">{0}</a>', part) if i % 2 else part,)
             for i, part in enumerate(parts)),
        )  # fmt: skip

    def paragraph_html(paragraph):
        lines = ((line_html(line),) for line in paragraph.split("\n"))
        return format_html_join(SafeString("<br>\n"), "{}", lines)

    paragraphs = re.split(r"\n{2,}", text.strip())
    return format_html_join("\n", "<p>{}</p>", ((paragraph_html(p),) for p in paragraphs))


class Email(EmailMultiAlternatives):
    """Headers folded at SMTP's 998 characters rather than 78: Python would otherwise write a
    long List-Unsubscribe address as an encoded word, which mail clients do not read as a URL
    (RFC 2369 headers are structured)."""

    def message(self, *, policy=email_policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def build(message):
    subject, text, html = render(message)
    email = Email(subject, text, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    if html:
        email.attach_alternative(html, "text/html")
    if message.is_campaign:
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


def still_wanted(message):
    """A message queued earlier may have lost its reason meanwhile: for a campaign message,
    the address opted out or bounced, the contact was deleted, or the answers were sent; for
    a link, the draft was deleted, or the access request was used or revoked."""
    from survey.collection.models import Response

    if message.kind in (MessageKind.RESUME_LINK, MessageKind.ACCESS_GRANTED):
        return message.respondent_id is not None
    if message.kind == MessageKind.RESUME_LINKS:
        return drafts_of(message.recipient).exists()
    if message.kind == MessageKind.ACCESS_REQUEST:
        access = message.access_request
        return access is not None and access.is_usable()
    if not message.is_campaign:
        return True
    if OptOut.excludes(message.recipient, message.edition_id):
        return False
    if message.contact_id is None and message.respondent_id is None:
        return False
    if message.contact_id is not None:
        if message.contact.undeliverable_at:
            return False
        if message.kind in (MessageKind.INVITATION, MessageKind.REMINDER_NOT_STARTED):
            return not Response.objects.filter(
                edition_id=message.edition_id,
                collectivite_id=message.contact.collectivite_id,
                status=ResponseStatus.SUBMITTED,
            ).exists()
        return True
    return not message.respondent.response.is_submitted


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
        if not still_wanted(message):
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
    from campaigns.tasks import send_message

    if send_message.get_backend().supports_defer:
        send_message.using(run_after=message.next_attempt_at).enqueue(message.pk)

"""The campaigns' emails (invitations, reminders, the closing notice, a step tried by staff):
how each is written, declared to the outbox (outbox.kinds) when the app starts.

Their templates (`templates/outbox/<kind>/`) lay out a text written here when the message is
sent: the step's text as staff edited it (StepText), or the default one, with its placeholders
filled for the recipient and the links made at that moment.
"""

import datetime
import re

from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from campaigns import texts
from campaigns.models import CAMPAIGN_KINDS, MessageKind, OptOut
from outbox import kinds
from outbox.mail import (  # noqa: F401 (the delivery moved to outbox; still named here)
    ADDRESS,
    BACKOFF,
    MAX_ATTEMPTS,
    Email,
    EmailMultiAlternatives,
    deliver,
    queue,
    transaction,
)
from survey.collection.emails import resume_url
from survey.enums import ResponseStatus
from survey.links import site_url
from survey.typography import typeset

UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
INVITATION_SALT = "campaigns.invitation"
# An invitation link opens the collectivité's response: it works for 30 days after its email
# was written (each reminder carries a fresh one), and never after the edition's close.
INVITATION_VALID_FOR = datetime.timedelta(days=30)


def unsubscribe_token(message):
    return signing.dumps(message.pk, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(message):
    return site_url() + reverse("campaigns:unsubscribe", args=[unsubscribe_token(message)])


def invitation_token(contact):
    return signing.dumps(contact.pk, salt=INVITATION_SALT)


def invitation_url(contact):
    return site_url() + reverse("campaigns:invitation", args=[invitation_token(contact)])


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


def written(subject_template, body_template, values):
    """The templates' context of a campaign email: the subject and the plain text filled for
    the recipient, and that text as HTML where its own links are clickable."""
    text = typeset(texts.fill(body_template, values)).strip()
    subject = typeset(texts.fill(subject_template, values)).strip()
    return {
        "subject": subject,
        "text": text,
        "body_html": html_text(text, [values["lien"], values["lien_desinscription"]]),
    }


def write(subject_template, body_template, values, kind=MessageKind.INVITATION):
    """(subject, plain text, HTML) from a step's templates and a recipient's values, as the
    outbox writes them (the admin's preview)."""
    return kinds.render_templates(kind, written(subject_template, body_template, values))


def campaign_context(message):
    subject, body = step_text(message.step, message.kind)
    return written(subject, body, campaign_values(message))


def step_test_context(message):
    """A step's text as staff tried it (subject and body hold the templates, no link),
    written for a sample recipient with links that open nothing."""
    values = sample_values(message.edition, message.step)
    return written(message.subject, message.body_text, values)


def still_wanted(message):
    """A campaign message queued earlier may have lost its reason meanwhile: the address
    opted out or bounced, the contact was deleted, or the answers were sent."""
    from survey.collection.models import Response

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


def declare_kinds():
    for kind in CAMPAIGN_KINDS:
        kinds.declare(
            kind, campaign_context, still_wanted=still_wanted, unsubscribe_url=unsubscribe_url
        )
    kinds.declare(MessageKind.STEP_TEST, step_test_context)


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

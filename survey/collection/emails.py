"""Emails sent to respondents, through the outbox: queued as outbox Messages, written when
sent from their templates (`templates/outbox/<kind>/`) with the context made here.

A message that carries a personal link is queued with the rows its link is made from; the
link is written into the email when it is sent and never stored. The kinds are declared to
the outbox when the app starts (SurveyConfig.ready).
"""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from outbox import kinds
from outbox.mail import queue
from outbox.models import MessageKind
from survey.links import site_url


def send_resume_link(respondent):
    edition = respondent.response.edition
    queue(MessageKind.RESUME_LINK, respondent.email, edition=edition, respondent=respondent)


def send_resume_links(email):
    """Links for every draft of that address, looked up when the message is sent (nothing
    is sent when there is none); the page answers alike either way."""
    queue(MessageKind.RESUME_LINKS, email)


def send_receipt(email, response, summary):
    """The answers as sent (no link): kept with the message until it is sent, as they were
    when they were sent."""
    answers = render_to_string("outbox/receipt/answers.txt", {"summary": summary})
    queue(MessageKind.RECEIPT, email, body_text=answers, edition=response.edition)


def send_access_request(recipients, access):
    for email in recipients:
        queue(
            MessageKind.ACCESS_REQUEST,
            email,
            edition=access.response.edition,
            access_request=access,
        )


def send_access_granted(respondent):
    queue(
        MessageKind.ACCESS_GRANTED,
        respondent.email,
        edition=respondent.response.edition,
        respondent=respondent,
    )


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


def resume_link_context(message):
    return {"edition": message.edition, "url": resume_url(message.respondent)}


def resume_links_context(message):
    return {"links": [(r.response, resume_url(r)) for r in drafts_of(message.recipient)]}


def access_request_context(message):
    access = message.access_request
    url = site_url() + reverse("grant_access", args=[access.grant_token()])
    return {"access": access, "response": access.response, "url": url}


def access_granted_context(message):
    respondent = message.respondent
    return {"response": respondent.response, "url": resume_url(respondent)}


def receipt_context(message):
    return {"edition": message.edition, "sent_at": message.created_at,
            "answers": message.body_text}  # fmt: skip


def has_respondent(message):
    """The draft may have been deleted since the message was queued."""
    return message.respondent_id is not None


def has_drafts(message):
    return drafts_of(message.recipient).exists()


def access_is_usable(message):
    """The access request may have been used or revoked since."""
    access = message.access_request
    return access is not None and access.is_usable()


def declare_kinds():
    kinds.declare(MessageKind.RESUME_LINK, resume_link_context, still_wanted=has_respondent)
    kinds.declare(MessageKind.RESUME_LINKS, resume_links_context, still_wanted=has_drafts)
    kinds.declare(MessageKind.ACCESS_REQUEST, access_request_context, still_wanted=access_is_usable)
    kinds.declare(MessageKind.ACCESS_GRANTED, access_granted_context, still_wanted=has_respondent)
    kinds.declare(MessageKind.RECEIPT, receipt_context)

"""Emails sent to respondents: queued as campaigns.Message rows, sent in the background
through Django's mail framework (MAILERS).

A message that carries a personal link is queued with the rows its link is made from; the
link is written into the email when it is sent (campaigns.mail.render) and never stored.
"""

from django.template.loader import render_to_string

from campaigns.mail import queue
from campaigns.models import MessageKind


def send_resume_link(respondent):
    edition = respondent.response.edition
    subject = f"{edition.title} : votre lien pour reprendre vos réponses"
    queue(
        MessageKind.RESUME_LINK, respondent.email, subject, edition=edition, respondent=respondent
    )


def send_resume_links(email):
    """Links for every draft of that address, looked up when the message is sent (nothing
    is sent when there is none); the page answers alike either way."""
    subject = "Baromètre de l'IA : vos liens pour reprendre vos réponses"
    queue(MessageKind.RESUME_LINKS, email, subject)


def send_receipt(email, response, summary):
    """The answers as sent (no link): the only message whose text is written when queued."""
    subject = f"{response.edition.title} : accusé de réception de vos réponses"
    context = {"response": response, "summary": summary}
    body = render_to_string("survey/emails/receipt.txt", context)
    queue(MessageKind.RECEIPT, email, subject, body, edition=response.edition)


def send_access_request(recipients, access):
    response = access.response
    subject = f"{response.edition.title} : un collègue demande à contribuer à votre réponse"
    for email in recipients:
        queue(
            MessageKind.ACCESS_REQUEST,
            email,
            subject,
            edition=response.edition,
            access_request=access,
        )


def send_access_granted(respondent):
    response = respondent.response
    subject = f"{response.edition.title} : accès accordé à la réponse de {response.collectivite}"
    queue(
        MessageKind.ACCESS_GRANTED,
        respondent.email,
        subject,
        edition=response.edition,
        respondent=respondent,
    )

"""Emails sent to respondents: queued as campaigns.Message rows, sent in the background
through Django's mail framework (MAILERS)."""

from django.template.loader import render_to_string

from campaigns.mail import queue
from campaigns.models import MessageKind


def _send(kind, to, subject, template, context, edition):
    """Queue one email: it leaves from the background worker once the transaction commits,
    never during the request (every link sent by email is also shown on screen)."""
    queue(kind, to, subject, render_to_string(template, context), edition=edition)


def send_resume_link(email, edition, url):
    _send(
        MessageKind.RESUME_LINK,
        email,
        f"{edition.title} : votre lien pour reprendre vos réponses",
        "survey/emails/resume_link.txt",
        {"edition": edition, "url": url},
        edition,
    )


def send_resume_links(email, links):
    """links: [(response, url)], every draft of that address."""
    _send(
        MessageKind.RESUME_LINK,
        email,
        "Baromètre de l'IA : vos liens pour reprendre vos réponses",
        "survey/emails/resume_links.txt",
        {"links": links},
        links[0][0].edition,
    )


def send_receipt(email, response, summary):
    _send(
        MessageKind.RECEIPT,
        email,
        f"{response.edition.title} : accusé de réception de vos réponses",
        "survey/emails/receipt.txt",
        {"response": response, "summary": summary},
        response.edition,
    )


def send_access_request(recipients, access, url):
    response = access.response
    for email in recipients:
        _send(
            MessageKind.ACCESS_REQUEST,
            email,
            f"{response.edition.title} : un collègue demande à contribuer à votre réponse",
            "survey/emails/access_request.txt",
            {"access": access, "response": response, "url": url},
            response.edition,
        )


def send_access_granted(email, response, url):
    _send(
        MessageKind.ACCESS_GRANTED,
        email,
        f"{response.edition.title} : accès accordé à la réponse de {response.collectivite}",
        "survey/emails/access_granted.txt",
        {"response": response, "url": url},
        response.edition,
    )

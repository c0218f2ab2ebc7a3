"""Emails sent to respondents, through Django's mail framework (MAILERS)."""

import logging
import smtplib

from django.core.mail import send_mail
from django.template.loader import render_to_string

from survey.typography import typeset

logger = logging.getLogger(__name__)


def _send(to, subject, template, context):
    """Send one email; a mail server that is down is logged (without the address), not fatal:
    every link sent by email is also shown on screen."""
    try:
        body = typeset(render_to_string(template, context))
        send_mail(typeset(subject), body, None, [to])
    except (OSError, smtplib.SMTPException) as error:
        logger.error("Email « %s » not sent: %s", subject, type(error).__name__)
        return False
    return True


def send_resume_link(email, edition, url):
    _send(
        email,
        f"{edition.title} : votre lien pour reprendre vos réponses",
        "survey/emails/resume_link.txt",
        {"edition": edition, "url": url},
    )


def send_resume_links(email, links):
    """links: [(response, url)], every draft of that address."""
    _send(
        email,
        "Baromètre de l'IA : vos liens pour reprendre vos réponses",
        "survey/emails/resume_links.txt",
        {"links": links},
    )


def send_receipt(email, response, summary):
    _send(
        email,
        f"{response.edition.title} : accusé de réception de vos réponses",
        "survey/emails/receipt.txt",
        {"response": response, "summary": summary},
    )


def send_access_request(recipients, access, url):
    response = access.response
    for email in recipients:
        _send(
            email,
            f"{response.edition.title} : un collègue demande à contribuer à votre réponse",
            "survey/emails/access_request.txt",
            {"access": access, "response": response, "url": url},
        )


def send_access_granted(email, response, url):
    _send(
        email,
        f"{response.edition.title} : accès accordé à la réponse de {response.collectivite}",
        "survey/emails/access_granted.txt",
        {"response": response, "url": url},
    )

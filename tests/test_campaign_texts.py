"""The texts of a campaign's emails: staff read and edit them with their placeholders
(unknown ones refused in French), see each email as a recipient will, send a test to
themselves (never counted), and choose the sending hour (Paris)."""

import datetime
import re
import zoneinfo
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from campaigns import mail as campaign_mail
from campaigns import report
from campaigns.audience import queue_step, recipients
from campaigns.models import Contact, Message, MessageKind, Step, StepKind, StepText
from survey.collectivites.models import Collectivite

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("chef", "chef@observatoire.fr", "un mot de passe long")
    client.force_login(user)
    return client


@pytest.fixture
def contact(small_survey):
    return Contact.objects.create(
        edition=small_survey,
        collectivite=Collectivite.objects.get(siren="216902641"),
        email="dsi@villeurbanne.fr",
        name="Ada",
    )


@pytest.fixture
def invitation(small_survey):
    return Step.objects.create(edition=small_survey, kind=StepKind.INVITATION)


def preview(client, step):
    return reverse("admin:campaigns_step_preview", args=[step.pk])


def plain(html):
    """Text as read: entities decoded, the typographer's spaces and apostrophes plain."""
    return re.sub(r"[\u00a0\u202f]", " ", unescape(html)).replace("\u2019", "'")


def test_the_preview_shows_each_email_as_a_recipient_will_read_it(staff, invitation, contact):
    page = staff.get(preview(staff, invitation))
    html = plain(page.content.decode())
    email = page.context["emails"][0]
    assert email["subject"] == plain_subject(invitation)
    assert "Bonjour Camille Exemple," in plain(email["text"])
    assert f"pour {contact.collectivite}" in plain(
        email["text"]
    )  # a collectivité of the step's recipients
    assert 'data-testid="email-html">\n<p>Bonjour Camille Exemple,</p>' in html
    assert "/invitation/exemple/" in html  # a link that opens nothing
    assert "{lien}" in email["form"]["body"].value()  # the text staff edit keeps its placeholders
    assert "dsi@villeurbanne.fr" not in email["text"]


def plain_subject(step):
    return campaign_mail.typeset(
        f"{step.edition.title} : votre collectivité est invitée à répondre"
    )


def test_a_reminder_shows_both_of_its_texts(staff, small_survey):
    step = Step.objects.create(edition=small_survey, kind=StepKind.REMINDER, days_before_close=7)
    kinds = [email["kind"] for email in staff.get(preview(staff, step)).context["emails"]]
    assert kinds == [MessageKind.REMINDER_NOT_STARTED, MessageKind.REMINDER_DRAFT]


def test_staff_edit_a_text_and_the_recipients_get_it_with_links_made_when_sent(
    staff, invitation, contact
):
    body = (
        "Bonjour {nom},\n\nRépondez pour {collectivite} : {lien}\n\n"
        "Désinscription : {lien_desinscription}\n"
    )
    saved = staff.post(
        preview(staff, invitation),
        {"kind": "invitation", "invitation-subject": "Enquête {edition}", "invitation-body": body},
    )
    assert saved.status_code == 302
    text = StepText.objects.get()
    assert text.body.startswith("Bonjour {nom}") and "http" not in text.body
    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_step(invitation)
    email = mail.outbox[0]
    assert email.subject == "Enquête Baromètre de test"
    assert plain(email.body).startswith(
        f"Bonjour Ada,\n\nRépondez pour {contact.collectivite} : http"
    )
    assert campaign_mail.invitation_url(contact).rsplit("/", 2)[0] in email.body
    assert email.extra_headers["List-Unsubscribe"].strip("<>") in email.body
    assert Message.objects.get().body_text == ""  # nothing of the email is kept


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("invitation-body", "Bonjour {prenom}, {lien} {lien_desinscription}",
         "La balise « {prenom} » n'existe pas pour ce message"),
        ("invitation-body", "Bonjour, sans lien.",
         "Le message doit contenir la balise « {lien} »."),
        ("invitation-subject", "Votre lien {lien}",
         "La balise « {lien} » n'existe pas pour l'objet"),
    ],
)  # fmt: skip
def test_an_unknown_or_missing_placeholder_is_refused_in_french_and_nothing_is_saved(
    staff, invitation, field, value, message
):
    data = {
        "kind": "invitation",
        "invitation-subject": "Objet",
        "invitation-body": "{lien} {lien_desinscription}",
        field: value,
    }
    page = staff.post(preview(staff, invitation), data)
    assert page.status_code == 400
    assert message in plain(page.content.decode())
    assert "les balises possibles sont {edition}" in plain(page.content.decode()) or (
        "doit contenir" in message
    )
    assert not StepText.objects.exists()


def test_a_draft_reminder_cannot_name_a_contact(staff, small_survey):
    step = Step.objects.create(edition=small_survey, kind=StepKind.REMINDER, days_before_close=7)
    page = staff.post(
        preview(staff, step),
        {"kind": MessageKind.REMINDER_DRAFT,
         f"{MessageKind.REMINDER_DRAFT}-subject": "Relance",
         f"{MessageKind.REMINDER_DRAFT}-body": "Bonjour {nom} {lien} {lien_desinscription}"},
    )  # fmt: skip
    assert page.status_code == 400
    assert "La balise « {nom} » n'existe pas" in plain(page.content.decode())


def test_a_test_goes_to_the_staff_member_only_and_is_never_counted(staff, invitation, contact):
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = staff.post(
            reverse("admin:campaigns_step_test", args=[invitation.pk]), {"kind": "invitation"}
        )
    assert sent.status_code == 302
    assert [email.to for email in mail.outbox] == [["chef@observatoire.fr"]]
    email = mail.outbox[0]
    assert email.subject.startswith("[Essai] ")
    assert "Bonjour Camille Exemple," in plain(email.body)
    assert "/invitation/exemple/" in email.body  # no working link to anyone's response
    assert email.alternatives and "<p>" in email.alternatives[0][0]
    test = Message.objects.get()
    assert test.kind == MessageKind.STEP_TEST and test.recipient == "chef@observatoire.fr"
    assert report.per_step(invitation.edition) == []
    assert (
        report.per_stratum(invitation.edition)[1]["invited"] == 0
        if isinstance(report.per_stratum(invitation.edition)[1], dict)
        else True
    )
    assert invitation.started_at is None and [r.email for r in recipients(invitation)] == [
        "dsi@villeurbanne.fr"
    ]  # the contact is still to be invited


def test_a_test_needs_an_address_on_the_staff_account(client, invitation):
    user = User.objects.create_superuser("sans", "", "un mot de passe long")
    client.force_login(user)
    page = client.post(
        reverse("admin:campaigns_step_test", args=[invitation.pk]), {"kind": "invitation"},
        follow=True,
    )  # fmt: skip
    assert "n'a pas d'adresse électronique" in plain(page.content.decode())
    assert not Message.objects.exists()


def test_a_reminder_leaves_at_the_hour_staff_chose_paris_time(small_survey):
    step = Step.objects.create(edition=small_survey, kind=StepKind.REMINDER, days_before_close=7)
    small_survey.closes_at = datetime.datetime(2025, 7, 11, 23, 59, tzinfo=PARIS)  # the step's
    assert step.due_at == datetime.datetime(2025, 7, 4, 9, 30, tzinfo=PARIS)  # not 23 h 59
    step.send_time = datetime.time(14, 0)
    assert step.due_at == datetime.datetime(2025, 7, 4, 14, 0, tzinfo=PARIS)
    # Across the change to winter time, the hour stays the Paris hour.
    small_survey.closes_at = datetime.datetime(2025, 11, 2, 23, 59, tzinfo=PARIS)
    assert step.due_at.astimezone(PARIS).hour == 14


def test_staff_set_the_sending_hour_on_the_step_form(staff, small_survey):
    page = staff.post(
        reverse("admin:campaigns_step_add"),
        {"edition": small_survey.pk, "kind": StepKind.REMINDER, "days_before_close": 7,
         "send_time": "10:15"},
    )  # fmt: skip
    assert page.status_code == 302
    assert Step.objects.get().send_time == datetime.time(10, 15)

"""Contacts, invitations, reminders, opt-out, the provider's webhook and the campaign view."""

import base64
import datetime
import io
import json
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns import mail as campaign_mail
from campaigns.audience import due_steps, queue_step, recipients
from campaigns.imports import import_contacts
from campaigns.models import (
    Contact,
    Message,
    MessageKind,
    MessageStatus,
    OptOut,
    Step,
    StepKind,
)
from campaigns.report import failures as report_failures
from survey.collection.models import Respondent, Response
from survey.collectivites.models import Collectivite
from tests.factories import CollectiviteFactory, ResponseFactory
from tests.helpers.fuzz import examples

pytestmark = pytest.mark.django_db
FIXTURES = HealthCheck.function_scoped_fixture  # the client keeps no state that matters here
CSV = "siren;email;nom;fonction\n216902641;dsi@villeurbanne.fr;Ada L.;DSI\n"


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("chef", password="un mot de passe assez long")
    client.force_login(user)
    return client


@pytest.fixture
def villeurbanne(small_survey):
    return Collectivite.objects.get(siren="216902641")


@pytest.fixture
def contact(small_survey, villeurbanne):
    return Contact.objects.create(
        edition=small_survey, collectivite=villeurbanne, email="DSI@Villeurbanne.fr", name="Ada"
    )


def upload(client, edition, text, name="contacts.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(
        reverse("admin:campaigns_contact_import"), {"edition": edition.pk, "file": file}
    )


def text(page):
    """A page's HTML as a reader sees its spaces and apostrophes."""
    content = page.content.decode().replace("&#x27;", "'").replace("’", "'")
    return content.replace("\u00a0", " ").replace("\u202f", " ")


def send(step):
    """Queue a step and run what waits for the commit (the immediate backend sends)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return queue_step(step)


# -- Import --------------------------------------------------------------------------------


def test_staff_import_a_csv_of_contacts_in_the_admin(staff, small_survey):
    lines = CSV + "216902567;elu@vaulx.fr\n"
    page = upload(staff, small_survey, lines)
    assert page.status_code == 302
    assert sorted(Contact.objects.values_list("email", "name", "function")) == [
        ("dsi@villeurbanne.fr", "Ada L.", "DSI"),
        ("elu@vaulx.fr", "", ""),
    ]
    # Importing the same file again adds nobody.
    assert upload(staff, small_survey, lines).status_code == 302
    assert Contact.objects.count() == 2


def test_a_bad_line_is_reported_in_french_and_nothing_is_imported(staff, small_survey):
    lines = CSV + "999999999;a@b.fr\n216902567;pas-une-adresse\n;x@y.fr\n"
    page = upload(staff, small_survey, lines)
    assert page.status_code == 400
    content = text(page)
    assert "Rien n'a été importé : 3 lignes à corriger." in content
    assert "Ligne 3 : aucune collectivité de la liste officielle n'a le code « 999999999 »" in (
        content
    )
    assert "Ligne 4 : adresse électronique invalide" in content
    assert "Ligne 5 : SIREN ou code INSEE manquant" in content
    assert not Contact.objects.exists()


def test_an_import_without_the_email_column_names_what_is_missing(small_survey):
    result = import_contacts(small_survey, b"siren;nom\n216902641;Ada\n")
    assert result.errors == [
        "Ligne 1 : colonne(s) manquante(s) : email. Colonnes attendues : SIREN ou code INSEE, "
        "email, nom (facultatif), fonction (facultatif)."
    ]


def test_a_commune_is_found_by_its_insee_code_and_excel_s_encoding_is_read(small_survey):
    commune = CollectiviteFactory(insee_code="69266", name="Bron")
    result = import_contacts(small_survey, "code insee,courriel,nom\n69266,a@bron.fr,Hélène\n"
                             .encode("cp1252"))  # fmt: skip
    assert result.created == 1
    assert Contact.objects.get().collectivite == commune
    assert Contact.objects.get().name == "Hélène"


def test_the_import_refuses_a_file_anywhere_else(client, small_survey):
    file = SimpleUploadedFile("x.csv", b"a", content_type="text/csv")
    assert client.post(reverse("resume_by_email"), {"email": "a@b.fr", "f": file}).status_code == (
        400
    )


# -- Invitations ----------------------------------------------------------------------------


def test_the_invitation_link_opens_a_response_tied_to_the_collectivite(client, contact):
    url = campaign_mail.invitation_url(contact)
    page = client.post(url)
    assert page.status_code == 302
    response = Response.objects.get()
    assert response.collectivite == contact.collectivite
    respondent = response.respondents.get()
    assert (respondent.email, respondent.name) == ("dsi@villeurbanne.fr", "Ada")
    # Opened again, on another device: the same response, not a second one.
    from django.test import Client

    assert Client().post(url).status_code == 302
    assert Response.objects.count() == 1 and Respondent.objects.count() == 1


def test_opening_an_invitation_link_changes_nothing_until_the_contact_clicks(client, contact):
    url = campaign_mail.invitation_url(contact)
    for _ in range(3):  # a mail scanner's prefetch, then the contact reading it twice
        page = client.get(url)
        assert page.status_code == 200
        assert "Répondre pour Villeurbanne" in text(page)
    assert not Response.objects.exists() and not Respondent.objects.exists()
    assert "barometre_reprise" not in client.cookies
    assert client.post(url).status_code == 302
    assert Response.objects.get().collectivite == contact.collectivite
    # The reminder then knows the collectivité started, from the contact's click only.
    assert Response.objects.get().respondents.count() == 1


def test_clicking_the_invitation_again_in_the_same_browser_makes_no_new_resume_link(
    client, contact
):
    from survey.collection.models import ResumeToken

    url = campaign_mail.invitation_url(contact)
    client.post(url)
    cookie = client.cookies["barometre_reprise"].value
    for _ in range(5):
        assert client.post(url).status_code == 302
    assert ResumeToken.objects.count() == 1
    assert client.cookies["barometre_reprise"].value == cookie


def test_an_invitation_link_expires_after_thirty_days(client, contact):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=31)):
        url = campaign_mail.invitation_url(contact)
    page = client.post(url)
    assert page.status_code == 410
    assert "Ce lien d'invitation a expiré" in text(page)
    assert not Response.objects.exists()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=29)):
        recent = campaign_mail.invitation_url(contact)
    assert client.post(recent).status_code == 302


def test_an_invitation_to_a_response_someone_else_started_asks_them_for_access(client, contact):
    response = ResponseFactory(edition=contact.edition, collectivite=contact.collectivite)
    Respondent.create_for(response, email="premier@villeurbanne.fr")
    page = client.post(campaign_mail.invitation_url(contact))
    assert page.status_code == 200
    assert "Votre demande est transmise" in text(page)
    assert mail.outbox[0].to == ["premier@villeurbanne.fr"]
    assert response.access_requests.get().email == "dsi@villeurbanne.fr"
    assert response.respondents.count() == 1


@given(token=st.text(max_size=300))
@example(token="")
@example(token="1:abc:def")
@hypothesis_settings(max_examples=examples(40), deadline=None, suppress_health_check=[FIXTURES])
def test_a_forged_or_mangled_invitation_or_unsubscribe_link_is_a_clear_404(client, token):
    from django.core.cache import cache

    cache.clear()  # the rate limit would otherwise answer instead
    safe = token.replace("/", "_") or "x"
    for method, name in (
        ("get", "campaigns:invitation"),
        ("get", "campaigns:unsubscribe"),
        ("post", "campaigns:unsubscribe"),
    ):
        page = getattr(client, method)(reverse(name, args=[safe]))
        assert page.status_code == 404
    assert not OptOut.objects.exists()


@given(data=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
@example(data=b"siren;email\n")
@example(data=b"\xef\xbb\xbf")
@example(data=b'siren;email\n"216902641;a@b.fr\n')
@example(data=b"siren,email\n\x00\x00,\x00\n")
@example(data=b'siren;email\n"' + b"x" * 140_000 + b'"\n')  # beyond the csv module's limit
@hypothesis_settings(max_examples=examples(60), deadline=None, suppress_health_check=[FIXTURES])
def test_the_import_answers_any_file_with_french_errors_or_contacts(small_survey, data):
    before = Contact.objects.count()
    result = import_contacts(small_survey, data)
    assert Contact.objects.count() - before == (0 if result.error_count else result.created)
    assert all(error.startswith(("Ligne ", "Le fichier")) for error in result.errors)


def test_the_invitation_email_has_plain_text_html_and_one_click_unsubscribe(contact):
    # Links are signed with the time: the clock stands still, so the links made again below are
    # the ones the email carries, whatever second the sending ended in.
    with time_machine.travel(timezone.now(), tick=False):
        step = Step.objects.create(edition=contact.edition, kind=StepKind.INVITATION)
        assert send(step) == 1
        email = mail.outbox[0]
        assert email.to == ["dsi@villeurbanne.fr"]
        assert "Observatoire Data Publica" in email.from_email
        assert email.subject == "Baromètre de test\u00a0: votre collectivité est invitée à répondre"
        assert campaign_mail.invitation_url(contact) in email.body
        html, mimetype = email.alternatives[0]
        assert mimetype == "text/html" and "<img" not in html  # no tracking pixel
        assert f'href="{campaign_mail.invitation_url(contact)}"' in html
        message = Message.objects.get()
        assert (
            email.extra_headers["List-Unsubscribe"] == f"<{campaign_mail.unsubscribe_url(message)}>"
        )
        assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # On the wire, the address is written out whole, as RFC 2369 wants it (no encoded word).
        raw = email.message().as_string()
        assert f"List-Unsubscribe: <{campaign_mail.unsubscribe_url(message)}>\n" in raw


# -- Reminders -----------------------------------------------------------------------------


@pytest.fixture
def invited(contact, small_survey):
    """Two invited collectivités: Villeurbanne's contact, and Vaulx-en-Velin's."""
    vaulx = Collectivite.objects.get(siren="216902567")
    Contact.objects.create(edition=small_survey, collectivite=vaulx, email="elu@vaulx.fr")
    send(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    mail.outbox.clear()
    return small_survey


def test_a_reminder_has_distinct_texts_for_not_started_and_drafts_and_skips_who_sent(invited):
    villeurbanne = Contact.objects.get(email="dsi@villeurbanne.fr").collectivite
    draft = ResponseFactory(edition=invited, collectivite=villeurbanne)
    Respondent.create_for(draft, email="Brouillon@Villeurbanne.fr")
    sent = ResponseFactory(edition=invited)
    Respondent.create_for(sent, email="envoye@ailleurs.fr")
    sent.submit()
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    plan = {(r.email, r.kind) for r in recipients(step)}
    assert plan == {
        ("elu@vaulx.fr", MessageKind.REMINDER_NOT_STARTED),
        ("brouillon@villeurbanne.fr", MessageKind.REMINDER_DRAFT),
    }
    send(step)
    bodies = {email.to[0]: email.body for email in mail.outbox}
    assert "n'est pas encore commencée" in bodies["elu@vaulx.fr"].replace("’", "'")
    assert "pas encore envoyées" in bodies["brouillon@villeurbanne.fr"]
    assert "/reprendre/" in bodies["brouillon@villeurbanne.fr"]


def test_nobody_gets_the_same_step_twice(invited):
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    assert send(step) == 2
    assert send(step) == 0
    assert recipients(step) == []
    assert len(mail.outbox) == 2


def test_an_address_that_is_a_contact_of_two_collectivites_is_invited_for_each(
    staff, small_survey, villeurbanne
):
    vaulx = Collectivite.objects.get(siren="216902567")
    for collectivite in (villeurbanne, vaulx):
        Contact.objects.create(
            edition=small_survey, collectivite=collectivite, email="dsi@mutualise.fr"
        )
    step = Step.objects.create(edition=small_survey, kind=StepKind.INVITATION)
    preview = text(staff.get(reverse("admin:campaigns_step_preview", args=[step.pk])))
    assert "2 destinataires" in preview
    assert "1 adresse est celle d'un contact de plusieurs collectivités" in preview
    assert send(step) == 2 and send(step) == 0
    assert [email.to for email in mail.outbox] == [["dsi@mutualise.fr"]] * 2
    links = {}
    for email in mail.outbox:
        name = "Villeurbanne" if "Villeurbanne" in email.body else "Vaulx-en-Velin"
        links[name] = re.search(r"http://\S+/invitation/\S+/", email.body).group(0)
    assert len(set(links.values())) == 2
    from django.test import Client

    for url in links.values():
        Client().post(url)
    assert set(Response.objects.values_list("collectivite__name", flat=True)) == {
        villeurbanne.name,
        vaulx.name,
    }
    # The reminder to the drafts of both reaches that address once for each collectivité.
    reminder = Step.objects.create(
        edition=small_survey, kind=StepKind.REMINDER, days_before_close=7
    )
    mail.outbox.clear()
    assert send(reminder) == 2 and send(reminder) == 0
    assert all("pas encore envoyées" in email.body for email in mail.outbox)


def test_the_schedule_sends_each_reminder_once_when_its_day_comes(invited):
    closes = invited.closes_at
    j7 = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    notice = Step.objects.create(edition=invited, kind=StepKind.CLOSING_NOTICE)
    with time_machine.travel(closes - datetime.timedelta(days=8), tick=False):
        assert due_steps() == []
    with time_machine.travel(closes - datetime.timedelta(days=6), tick=False):
        assert due_steps() == [j7]
        call_command("send_due_steps", stdout=io.StringIO())
        assert due_steps() == []
    with time_machine.travel(closes - datetime.timedelta(hours=47), tick=False):
        assert due_steps() == [notice]
    with time_machine.travel(closes + datetime.timedelta(hours=1), tick=False):
        assert due_steps() == []  # closed: too late for anything


def test_the_closing_notice_goes_to_every_draft_holder_with_an_address(small_survey):
    draft = ResponseFactory(edition=small_survey)
    Respondent.create_for(draft, email="agent@mairie.fr")
    Respondent.create_for(draft, email="")
    step = Step.objects.create(edition=small_survey, kind=StepKind.CLOSING_NOTICE)
    assert [(r.email, r.kind) for r in recipients(step)] == [
        ("agent@mairie.fr", MessageKind.CLOSING_NOTICE)
    ]


def test_targeting_reaches_only_the_strata_under_the_coverage_target(invited, settings):
    from results.models import Frame

    settings.COVERAGE_TARGET_RATE = 50
    Frame.freeze(invited)
    vaulx = Collectivite.objects.get(siren="216902567")
    answered = ResponseFactory(edition=invited, collectivite=vaulx)
    answered.submit()  # the 10,000-100,000 stratum is now at 100 %
    CollectiviteFactory(name="Bron", population=40000)  # after the freeze: outside the frame
    step = Step.objects.create(
        edition=invited, kind=StepKind.REMINDER, days_before_close=2, under_covered_only=True
    )
    assert [r.email for r in recipients(step)] == ["dsi@villeurbanne.fr"]


def test_the_preview_shows_who_would_receive_what_before_anything_is_sent(staff, invited):
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    page = staff.get(reverse("admin:campaigns_step_preview", args=[step.pk]))
    content = text(page)
    assert "2 destinataires" in content
    assert "Relance : invité, pas commencé : 2" in content
    assert "elu@vaulx.fr" in content
    assert not Message.objects.filter(step=step).exists()
    page = staff.post(reverse("admin:campaigns_step_send", args=[step.pk]))
    assert page.status_code == 302
    assert Message.objects.filter(step=step, status=MessageStatus.SENT).count() == 2


# -- Opt-out and the provider --------------------------------------------------------------


def test_one_click_unsubscribe_stops_every_further_message_of_the_edition(client, invited):
    message = Message.objects.get(recipient="elu@vaulx.fr")
    url = campaign_mail.unsubscribe_url(message)
    page = client.get(url)
    assert "Me désinscrire" in text(page)
    assert not OptOut.objects.exists()  # a mail scanner opening the link unsubscribes nobody
    page = client.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058, no cookie, no login
    assert page.status_code == 200
    assert "Vous êtes désinscrit" in text(page)
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    assert [r.email for r in recipients(step)] == ["dsi@villeurbanne.fr"]


def test_a_message_queued_before_the_unsubscribe_is_not_sent(invited):
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    queue_step(step)  # queued, its sending waits for the commit
    OptOut.objects.create(edition=invited, email="elu@vaulx.fr", reason="unsubscribed")
    for message in Message.objects.filter(step=step):
        campaign_mail.deliver(message.pk)
    assert [email.to for email in mail.outbox] == [["dsi@villeurbanne.fr"]]
    assert Message.objects.get(step=step, recipient="elu@vaulx.fr").status == "cancelled"


WEBHOOK_SECRET = "fournisseur:secret-de-test"  # barometre/settings_test.py


def postmark(client, payload, secret=WEBHOOK_SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        reverse("anymail:postmark_tracking_webhook"),
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_a_bounce_reported_by_the_provider_s_webhook_marks_the_contact_undeliverable(
    client, invited
):
    Message.objects.filter(recipient="elu@vaulx.fr").update(provider_id="pm-1")
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "Elu@Vaulx.fr",
              "MessageID": "pm-1", "BouncedAt": "2025-06-01T10:00:00Z", "ID": 1}  # fmt: skip
    assert postmark(client, bounce).status_code == 200
    assert Contact.objects.get(email="elu@vaulx.fr").undeliverable_at is not None
    assert Message.objects.get(provider_id="pm-1").status == MessageStatus.BOUNCED
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    assert [r.email for r in recipients(step)] == ["dsi@villeurbanne.fr"]


def test_the_webhook_refuses_a_caller_without_the_secret(client, invited):
    complaint = {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "elu@vaulx.fr",
                 "ID": 2}  # fmt: skip
    assert postmark(client, complaint, secret="fournisseur:devine").status_code == 400
    assert not OptOut.objects.exists()


@given(body=st.binary(max_size=500))
@example(body=b'{"RecordType": "Bounce"}')
@example(body=b"[]")
@hypothesis_settings(max_examples=examples(30), deadline=None, suppress_health_check=[FIXTURES])
def test_the_webhook_never_answers_a_500(client, small_survey, body):
    auth = base64.b64encode(b"fournisseur:secret-de-test").decode()
    page = client.post(
        reverse("anymail:postmark_tracking_webhook"), body,
        content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}",
    )  # fmt: skip
    assert page.status_code < 500


# -- The staff view, personal data ---------------------------------------------------------


def test_the_campaign_view_counts_per_step_and_per_stratum_and_lists_failures(staff, invited):
    Message.objects.filter(recipient="elu@vaulx.fr").update(
        status=MessageStatus.FAILED, last_error="SMTPRecipientsRefused: 550 inconnu"
    )
    page = staff.get(reverse("admin:campaigns_step_campaign", args=[invited.pk]))
    content = text(page)
    assert page.status_code == 200
    assert "Communes de 10 000 à 100 000 habitants" in content
    assert "SMTPRecipientsRefused: 550 inconnu" in content
    assert "Collectivités invitées, par strate" in content
    # Per step too: the messages' statuses, then who opted out, started and sent.
    (invitation,) = page.context["per_step"]
    header = page.context["status_columns"]
    counts = dict(zip(header, invitation["counts"], strict=True))
    assert counts["Échecs"] == 1 and counts["Désinscrits"] == 0
    assert counts["Réponse commencée"] == 0 and counts["Réponse envoyée"] == 0
    vaulx = Contact.objects.get(email="elu@vaulx.fr").collectivite
    ResponseFactory(edition=invited, collectivite=vaulx).submit()
    OptOut.objects.create(edition=invited, email="elu@vaulx.fr", reason="unsubscribed")
    page = staff.get(reverse("admin:campaigns_step_campaign", args=[invited.pk]))
    counts = dict(zip(header, page.context["per_step"][0]["counts"], strict=True))
    assert (counts["Désinscrits"], counts["Réponse commencée"], counts["Réponse envoyée"]) == (
        1,
        1,
        1,
    )


def test_staff_without_the_contact_permission_see_no_address(client, invited):
    user = User.objects.create_user("analyste", password="un mot de passe assez long",
                                    is_staff=True)  # fmt: skip
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_step", "view_message"])
    )
    client.force_login(user)
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    for url in (
        reverse("admin:campaigns_step_preview", args=[step.pk]),
        reverse("admin:campaigns_step_campaign", args=[invited.pk]),
        reverse("admin:outbox_message_changelist"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "vaulx.fr" not in page.content.decode(), url
    assert client.get(reverse("admin:campaigns_contact_changelist")).status_code == 403


def test_the_purge_erases_contacts_recipients_and_opt_outs_of_closed_editions(invited):
    OptOut.objects.create(edition=invited, email="elu@vaulx.fr", reason="unsubscribed")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    invited.opens_at, invited.closes_at = long_ago - datetime.timedelta(days=30), long_ago
    invited.save()
    today = timezone.now().date().isoformat()
    call_command("purge_personal_data", "--before", today, stdout=io.StringIO())
    assert not Contact.objects.exists()
    assert not OptOut.objects.exists()
    assert set(Message.objects.values_list("recipient", flat=True)) == {""}


def test_the_observatoire_group_follows_campaigns_without_the_contacts_addresses():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Observatoire")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_step", "view_message"} <= codenames
    assert not {"view_contact", "send_campaign", "view_optout"} & codenames


def test_a_provider_backend_s_message_id_ties_its_bounce_to_the_message(client, contact, settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    send(Step.objects.create(edition=contact.edition, kind=StepKind.INVITATION))
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT and message.provider_id
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "dsi@villeurbanne.fr",
              "MessageID": message.provider_id, "ID": 3}  # fmt: skip
    assert postmark(client, bounce).status_code == 200
    message.refresh_from_db()
    assert (message.status, message.provider_event) == (MessageStatus.BOUNCED, "bounced")
    page_rows = report_failures(contact.edition)
    assert [row.pk for row in page_rows] == [message.pk]


def test_a_reminder_queued_before_the_answers_were_sent_is_not_sent(invited):
    villeurbanne = Contact.objects.get(email="dsi@villeurbanne.fr").collectivite
    draft = ResponseFactory(edition=invited, collectivite=villeurbanne)
    Respondent.create_for(draft, email="brouillon@villeurbanne.fr")
    step = Step.objects.create(edition=invited, kind=StepKind.REMINDER, days_before_close=7)
    queue_step(step)  # queued; sent after the commit, which a test's transaction never reaches
    draft.submit()
    ResponseFactory(edition=invited, collectivite=Collectivite.objects.get(siren="216902567"))
    Response.objects.filter(collectivite__siren="216902567").update(
        status="submitted", submitted_at=timezone.now()
    )
    for message in Message.objects.filter(step=step):
        campaign_mail.deliver(message.pk)
    assert mail.outbox == []
    assert set(Message.objects.filter(step=step).values_list("status", flat=True)) == {
        MessageStatus.CANCELLED
    }


def test_a_second_invitation_reaches_only_the_contacts_imported_since(invited):
    bron = CollectiviteFactory(name="Bron")
    Contact.objects.create(edition=invited, collectivite=bron, email="dgs@bron.fr")
    second = Step.objects.create(edition=invited, kind=StepKind.INVITATION, days_before_close=20)
    assert [r.email for r in recipients(second)] == ["dgs@bron.fr"]

"""No personal link (resume, access, invitation, unsubscribe) is ever stored in clear, and
nothing of a person is left in the task table after the purge."""

import datetime
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from campaigns import mail as campaign_mail
from campaigns.audience import queue_step
from campaigns.models import Contact, Message, MessageKind, Step, StepKind
from survey.collection.models import Respondent, ResumeToken
from survey.collectivites.models import Collectivite
from tests.factories import ResponseFactory

pytestmark = pytest.mark.django_db
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LINK = re.compile(r"/(?:reprendre|acces|invitation|desinscription)/([^/\s\"<>]+)/")


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the database is read as pg_dump writes it out, on PostgreSQL")


def database_text():
    """Every row of every table as PostgreSQL writes it out: the data of a `pg_dump`."""
    from psycopg import sql

    rows = []
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # psycopg's own, for its identifiers
        for table in connection.introspection.table_names():
            cursor.execute(sql.SQL("SELECT t::text FROM {} t").format(sql.Identifier(table)))
            rows.extend(row[0] for row in cursor.fetchall())
    return "\n".join(rows)


def deliver_due():
    """What the worker does: send every queued message (the tasks were only recorded)."""
    for pk in Message.objects.due().values_list("pk", flat=True):
        campaign_mail.deliver(pk)


def tokens_sent():
    """The secret of every link in every email sent: text, HTML and headers."""
    found = set()
    for email in mail.outbox:
        parts = [email.body, *(content for content, _ in email.alternatives)]
        parts += [str(value) for value in email.extra_headers.values()]
        for part in parts:
            found.update(LINK.findall(part))
    return found


def test_no_link_sent_by_email_is_ever_in_the_database_in_clear(
    client_factory, small_survey, settings
):
    settings.TASKS = DATABASE_TASKS  # queued, not sent: what a dump taken meanwhile holds
    villeurbanne = Collectivite.objects.get(siren="216902641")
    vaulx = Collectivite.objects.get(siren="216902567")
    snapshots = []

    # A draft with an address (its resume link), and the same address asking for its links.
    agent = client_factory()
    agent.post(reverse("start"), {"email": "agent@mairie.fr"})
    client_factory().post(reverse("resume_by_email"), {"email": "Agent@Mairie.fr"})
    # An invited contact whose collectivité has a response: its respondent is asked.
    started = ResponseFactory(edition=small_survey, collectivite=villeurbanne)
    Respondent.create_for(started, email="premier@villeurbanne.fr")
    dsi = Contact.objects.create(
        edition=small_survey, collectivite=villeurbanne, email="dsi@villeurbanne.fr"
    )
    client_factory().post(campaign_mail.invitation_url(dsi))
    # A campaign: the invitation, then a reminder to the draft holder.
    Contact.objects.create(edition=small_survey, collectivite=vaulx, email="elu@vaulx.fr")
    queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    queue_step(
        Step.objects.create(edition=small_survey, kind=StepKind.REMINDER, days_before_close=7)
    )
    snapshots.append(database_text())
    deliver_due()
    snapshots.append(database_text())
    # The asked respondent shares the response: the newcomer gets a link of their own.
    grant = next(m for m in mail.outbox if "demande à contribuer" in m.subject)
    grant_url = re.search(r"/acces/[^/\s]+/", grant.body).group(0)
    client_factory().post(grant_url)
    snapshots.append(database_text())
    deliver_due()
    snapshots.append(database_text())

    kinds = set(Message.objects.values_list("kind", flat=True))
    assert kinds >= {
        MessageKind.RESUME_LINK, MessageKind.RESUME_LINKS, MessageKind.ACCESS_REQUEST,
        MessageKind.ACCESS_GRANTED, MessageKind.INVITATION, MessageKind.REMINDER_DRAFT,
    }  # fmt: skip
    tokens = tokens_sent()
    assert len(tokens) >= 9  # each email's link, and the campaign's unsubscribe links
    for token in tokens:
        for snapshot in snapshots:
            assert token not in snapshot
    # Every one of those links works.
    assert all(
        ResumeToken.find_respondent(token) is not None
        for email in mail.outbox
        for token in re.findall(r"/reprendre/([^/\s]+)/", email.body)
    )


def test_a_message_whose_draft_was_deleted_meanwhile_is_not_sent(client, small_survey, settings):
    settings.TASKS = DATABASE_TASKS
    client.post(reverse("start"), {"email": "agent@mairie.fr"})
    client.post(reverse("delete_draft"))
    deliver_due()
    assert mail.outbox == []
    assert Message.objects.get().get_status_display() == "Annulé (désinscrit ou injoignable)"


def test_resume_links_asked_for_an_address_without_a_draft_keep_no_trace_of_it(
    client, small_survey, settings
):
    settings.TASKS = DATABASE_TASKS
    client.post(reverse("resume_by_email"), {"email": "inconnu@mairie.fr"})
    deliver_due()
    assert mail.outbox == []
    assert "inconnu@mairie.fr" not in database_text()


def test_after_the_purge_no_task_row_holds_an_address(client, small_survey, settings):
    settings.TASKS = DATABASE_TASKS
    Respondent.create_for(ResponseFactory(edition=small_survey), email="agent@mairie.fr")
    with time_machine.travel(small_survey.closes_at - datetime.timedelta(days=3), tick=False):
        client.post(reverse("resume_by_email"), {"email": "agent@mairie.fr"})  # never run
        client.post(reverse("resume_by_email"), {"email": "inconnu@mairie.fr"})
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 2
    day_after = (small_survey.closes_at + datetime.timedelta(days=2)).date()
    with time_machine.travel(small_survey.closes_at + datetime.timedelta(days=3)):
        call_command("purge_personal_data", "--before", day_after.isoformat(), stdout=io.StringIO())
    text = database_text()
    assert "agent@mairie.fr" not in text and "inconnu@mairie.fr" not in text


def test_a_url_in_a_contact_s_name_is_never_a_link_in_the_email(small_survey):
    villeurbanne = Collectivite.objects.get(siren="216902641")
    name = "Reconnectez-vous sur http://evil.example/login"
    Contact.objects.create(
        edition=small_survey, collectivite=villeurbanne, email="dsi@villeurbanne.fr", name=name
    )
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    email = mail.outbox[0]
    html = email.alternatives[0][0]
    assert "evil.example" not in email.body and "evil.example" not in html
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) == 2 and all(link.startswith(settings_site_url()) for link in links)


def test_a_plain_name_still_greets_the_contact_and_the_html_escapes_it(small_survey):
    villeurbanne = Collectivite.objects.get(siren="216902641")
    Contact.objects.create(
        edition=small_survey, collectivite=villeurbanne, email="dsi@villeurbanne.fr",
        name="Ada <b>Lovelace</b>",
    )  # fmt: skip
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        queue_step(Step.objects.create(edition=small_survey, kind=StepKind.INVITATION))
    email = mail.outbox[0]
    assert email.body.startswith("Bonjour Ada <b>Lovelace</b>,")
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in email.alternatives[0][0]


def settings_site_url():
    from django.conf import settings

    return settings.SITE_URL


def test_leaving_a_shared_computer_revokes_the_link_the_browser_held(client, small_survey):
    client.post(reverse("start"), {"email": "agent@mairie.fr"})
    held = client.cookies["barometre_reprise"].value
    assert ResumeToken.find_respondent(held) is not None
    page = client.post(reverse("forget_browser"))
    assert page.status_code == 200
    assert ResumeToken.find_respondent(held) is None  # a copy of the cookie opens nothing
    from django.test import Client

    copied = Client()
    copied.cookies["barometre_reprise"] = held
    assert copied.get(reverse("resume_link")).status_code == 302  # back to the landing page
    assert Client().get(reverse("resume", args=[held])).status_code == 404


def test_leaving_without_an_address_shows_a_new_link_once(client, small_survey):
    client.post(reverse("start"))
    held = client.cookies["barometre_reprise"].value
    page = client.post(reverse("forget_browser"))
    new = re.search(r'data-testid="new-resume-link" href="[^"]*/reprendre/([^/]+)/"',
                    page.content.decode()).group(1)  # fmt: skip
    assert ResumeToken.find_respondent(held) is None
    assert ResumeToken.find_respondent(new) is not None
    assert (
        page.headers["Cache-Control"].startswith("max-age=0")
        or "no-store" in (page.headers["Cache-Control"])
    )


def test_an_enrolment_link_is_stored_as_its_hash_only(small_survey):
    from django.contrib.auth.models import User

    from barometre.models import EnrolmentLink

    staff = User.objects.create_user(
        "nouveau", password="un mot de passe assez long", is_staff=True
    )
    output = io.StringIO()
    call_command("enrolment_link", "nouveau", stdout=output)
    token = output.getvalue().strip().rstrip("/").rsplit("/", 1)[1]
    assert EnrolmentLink.find(token).user == staff
    assert token not in database_text()


def test_the_end_of_a_poll_sitting_makes_the_browser_forget_the_typed_copies(client, time_machine):
    from tests.poll_sample import PAGES, answer_pages, poll_edition

    time_machine.move_to(datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC), tick=False)
    poll_edition()
    client.get("/sondage/", {"pid": "PANEL-7"})
    assert client.cookies["sondage_participation"].value
    last = answer_pages(client, list(PAGES))
    assert last["Location"].startswith("https://panel.example/retour?statut=complet")
    # The page leaves for the institute: the typed copies (localStorage) and the cache go.
    assert last["Clear-Site-Data"] == '"cache", "storage"'

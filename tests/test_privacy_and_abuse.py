import datetime
import logging

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from barometre.logging import redact
from survey.models import Answer, Respondent, Response, ResumeToken
from tests.factories import EditionFactory, ResponseFactory

pytestmark = pytest.mark.django_db

# Rate limits count in fixed windows of the wall clock: requests that straddle the end of a
# window would start a fresh count. The tests stop the clock inside one window.
STOPPED_CLOCK = datetime.datetime(2025, 6, 2, 10, 0, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def start(client, email=""):
    client.post(reverse("start"), {"email": email})
    return Response.objects.latest("created_at")


# -- Atomicity ----------------------------------------------------------------------------


def test_a_database_failure_in_the_middle_of_a_save_keeps_the_previous_answers(
    client, small_survey, monkeypatch
):
    response = start(client)
    client.post(
        reverse("section", args=["profil"]),
        {"q-profil_fonction": "dsi", "q-profil_agents": "10", "action": "later"},
    )

    def broken_update(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Response, "save", broken_update)
    client.raise_request_exception = False
    page = client.post(
        reverse("section", args=["profil"]),
        {"q-profil_fonction": "direction", "q-profil_agents": "99", "action": "later"},
    )
    assert page.status_code == 500
    saved = {a.question.code: a.value for a in Answer.objects.select_related("question")}
    assert saved == {"profil_fonction": {"choice": "dsi"}, "profil_agents": 10}
    monkeypatch.undo()
    response.refresh_from_db()
    assert response.version == 1


# -- Tokens ---------------------------------------------------------------------------------


def test_resume_tokens_are_looked_up_by_hash_and_never_stored_in_clear(client, small_survey):
    start(client)
    token = client.cookies["barometre_reprise"].value
    assert not ResumeToken.objects.filter(token_hash=token).exists()
    assert ResumeToken.find_respondent(token) is not None
    assert ResumeToken.find_respondent(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert ResumeToken.find_respondent("") is None
    assert ResumeToken.find_respondent("x" * 5000) is None


def test_resume_tokens_never_reach_the_logs(client, small_survey, caplog):
    start(client)
    token = client.cookies["barometre_reprise"].value
    assert redact(f"GET /reprendre/{token}/ HTTP/1.1") == "GET /reprendre/[masqué]/ HTTP/1.1"
    with caplog.at_level(logging.INFO):
        client.get(reverse("resume", args=[token + "x"]))  # a 404 Django logs
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Not Found" in logged
    assert token not in logged


def test_public_ids_say_nothing_about_the_order_of_responses(small_survey):
    ids = [ResponseFactory(edition=small_survey).public_id for _ in range(20)]
    assert sorted(ids) != ids or sorted(ids, reverse=True) != ids
    assert all(len(set(public_id)) > 8 for public_id in ids)


# -- Rate limits --------------------------------------------------------------------------


@time_machine.travel(STOPPED_CLOCK, tick=False)
def test_guessing_resume_links_is_slowed_down_with_a_429_in_french(client, small_survey):
    statuses = [client.get(reverse("resume", args=[f"{n:043d}"])).status_code for n in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429
    assert "Trop de tentatives" in client.get(reverse("resume", args=["y" * 43])).content.decode()


@time_machine.travel(STOPPED_CLOCK, tick=False)
def test_resume_by_email_is_limited_per_address(client, small_survey):
    for _ in range(3):
        assert client.post(reverse("resume_by_email"), {"email": "a@b.fr"}).status_code == 200
    assert client.post(reverse("resume_by_email"), {"email": "a@b.fr"}).status_code == 429


# -- Privacy ----------------------------------------------------------------------------------


def test_a_respondent_can_delete_their_own_draft(client, small_survey):
    response = start(client, email="agent@mairie.fr")
    client.post(
        reverse("section", args=["profil"]), {"q-profil_fonction": "dsi", "action": "later"}
    )
    assert "Supprimer" in client.get(reverse("delete_draft")).content.decode()
    page = client.post(reverse("delete_draft"))
    assert page.status_code == 200 and "Votre brouillon est supprimé" in page.content.decode()
    assert not Response.objects.filter(pk=response.pk).exists()
    assert not Respondent.objects.exists() and not Answer.objects.exists()
    assert client.get(reverse("review")).url == reverse("home")


def test_a_sent_response_cannot_be_deleted_by_its_respondent(client, small_survey):
    response = start(client)
    response.submit()
    assert client.post(reverse("delete_draft")).url == reverse("review")
    assert Response.objects.filter(pk=response.pk).exists()


def test_purge_removes_contact_data_of_closed_editions_and_keeps_answers(small_survey):
    old = EditionFactory(
        opens_at=timezone.now() - datetime.timedelta(days=500),
        closes_at=timezone.now() - datetime.timedelta(days=400),
    )
    old_response = ResponseFactory(edition=old)
    Respondent.create_for(old_response, email="ancien@mairie.fr", name="A. Agent", role="DSI")
    question = small_survey.questions.get(code="profil_agents")
    Answer.objects.create(response=old_response, question=question, value=12)
    current = ResponseFactory(edition=small_survey)
    Respondent.create_for(current, email="actuel@mairie.fr")
    cutoff = (timezone.now() - datetime.timedelta(days=30)).date().isoformat()
    call_command("purge_personal_data", "--before", cutoff)
    purged = Respondent.objects.get(response=old_response)
    assert (purged.email, purged.name, purged.role) == ("", "", "")
    assert Respondent.objects.get(response=current).email == "actuel@mairie.fr"
    assert Answer.objects.get(response=old_response).value == 12


def test_purge_refuses_a_future_or_malformed_date():
    with pytest.raises(CommandError, match="passée"):
        call_command("purge_personal_data", "--before", "2999-01-01")
    with pytest.raises(CommandError, match="invalide"):
        call_command("purge_personal_data", "--before", "demain")


def test_the_privacy_page_describes_the_processing(client, small_survey):
    page = client.get(reverse("privacy")).content.decode()
    for heading in ("Finalité", "Base légale", "Durée de conservation", "Vos droits"):
        assert heading in page


def test_no_ip_address_is_stored_with_responses(client, small_survey):
    start(client, email="agent@mairie.fr")
    for model in (Response, Respondent, Answer, ResumeToken):
        names = {field.name for field in model._meta.get_fields()}
        assert not any(part == "ip" for name in names for part in name.split("_"))
    assert len(mail.outbox) == 1


@time_machine.travel(STOPPED_CLOCK, tick=False)
def test_the_collectivite_search_is_rate_limited_with_a_json_429(client, small_survey):
    url = reverse("collectivite_search")
    statuses = [
        client.get(url, {"q": "vil"}, HTTP_ACCEPT="application/json").status_code
        for _ in range(301)
    ]
    assert statuses[:300] == [200] * 300
    assert statuses[300] == 429
    page = client.get(url, {"q": "vil"}, HTTP_ACCEPT="application/json")
    assert "Trop de tentatives" in page.json()["message"]


def test_healthz_answers_when_the_database_does(client, db):
    page = client.get(reverse("healthz"))
    assert page.status_code == 200 and page.content == b"ok"


def test_healthz_says_503_when_the_database_is_down(client, db, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    assert client.get(reverse("healthz")).status_code == 503


def test_a_mail_server_that_is_down_does_not_break_starting(client, small_survey, monkeypatch):
    import smtplib

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "indisponible")

    monkeypatch.setattr("survey.emails.send_mail", refuse)
    page = client.post(reverse("start"), {"email": "agent@mairie.fr"})
    assert page.status_code == 302
    assert 'data-testid="resume-link"' in client.get(reverse("resume_link")).content.decode()

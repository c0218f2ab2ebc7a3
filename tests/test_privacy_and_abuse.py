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
from campaigns.models import Message
from survey.collection.models import Answer, Respondent, Response, ResumeToken
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

    write_page = Response._write_page

    def written_then_broken(self, *args):
        write_page(self, *args)  # the page's answers and the response's version written...
        raise DatabaseError("disk full")  # ...then the database fails before the commit

    monkeypatch.setattr(Response, "_write_page", written_then_broken)
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


def secret_urls(client, small_survey):
    """One live URL of each kind the app issues with a secret in it."""
    from campaigns import mail as campaign_mail
    from campaigns.models import Contact, MessageKind
    from survey.collection.models import AccessRequest
    from tests.factories import CollectiviteFactory

    response = start(client)
    resume_token = client.cookies["barometre_reprise"].value
    _, grant_token = AccessRequest.create_for(response, "collegue@mairie.fr")
    contact = Contact.objects.create(
        edition=small_survey, collectivite=CollectiviteFactory(), email="dsi@mairie.fr"
    )
    message = Message.objects.create(
        kind=MessageKind.INVITATION, edition=small_survey, contact=contact, recipient=contact.email
    )
    from django.contrib.auth.models import User

    from barometre.models import EnrolmentLink

    _, enrolment_token = EnrolmentLink.issue(
        User.objects.create_user("nouveau", password="un mot de passe assez long", is_staff=True)
    )
    tokens = {
        "admin:two_factor_enrolment_link": enrolment_token,
        "resume": resume_token,
        "grant_access": grant_token,
        "campaigns:invitation": campaign_mail.invitation_token(contact),
        "campaigns:unsubscribe": campaign_mail.unsubscribe_token(message),
    }
    return {name: (reverse(name, args=[token]), token) for name, token in tokens.items()}


SECRET_KINDS = [
    "resume",
    "grant_access",
    "campaigns:invitation",
    "campaigns:unsubscribe",
    "admin:two_factor_enrolment_link",
]


def urls_with_a_token(resolver, namespace=""):
    """The names of every URL of the URLconf, in every namespace, that takes a token."""
    from django.urls import URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from urls_with_a_token(pattern, inner)
        elif "token" in pattern.pattern.converters:
            yield namespace + pattern.name


def test_every_url_of_the_urlconf_with_a_token_is_masked_in_logs(client, small_survey):
    from django.urls import get_resolver

    urls = secret_urls(client, small_survey)
    assert set(urls_with_a_token(get_resolver())) == set(urls) == set(SECRET_KINDS)
    for url, token in urls.values():
        assert token not in redact(f"GET {url} HTTP/1.1 {url.replace('/', '%2F')}")


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_secret_links_never_reach_gunicorns_access_log(client, small_survey, kind):
    import datetime as dt

    from gunicorn.config import Config

    from barometre.logging import GunicornLogger

    url, token = secret_urls(client, small_survey)[kind]
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"{url}?x=1", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": url, "QUERY_STRING": f"next={url}",
        "HTTP_REFERER": f"https://barometre.example.fr{url}", "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip

    class Request:
        headers = [("REFERER", environ["HTTP_REFERER"]), ("HOST", "barometre.example.fr")]

    class Answer:
        status, sent, headers = "200 OK", 10, [("Content-Type", "text/css")]

    atoms = GunicornLogger(Config()).atoms(Answer(), Request(), environ, dt.timedelta(0))
    assert token not in repr(atoms)
    assert atoms["f"].endswith("[masqué]/") and "[masqué]" in atoms["r"]


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_the_access_log_gunicorn_writes_as_the_dockerfile_runs_it_masks_every_secret_link(
    client, small_survey, kind, tmp_path
):
    import datetime as dt
    from pathlib import Path

    from gunicorn.config import Config

    from barometre.logging import GunicornLogger

    dockerfile = (Path(__file__).resolve().parent.parent / "Dockerfile").read_text()
    command = dockerfile.split("CMD [", 1)[1].split("]", 1)[0].replace("\\\n", " ")
    arguments = [a.strip().strip('"') for a in command.split(",")]
    assert arguments[arguments.index("--logger-class") + 1] == "barometre.logging.GunicornLogger"
    url, token = secret_urls(client, small_survey)[kind]
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    # The combined format, plus every header the request had (what an operator might add).
    config.set("access_log_format", config.access_log_format + ' "%({referer}i)s" %(U)s?%(q)s')
    logger = GunicornLogger(config)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": url, "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": url, "QUERY_STRING": f"next={url.replace('/', '%2F')}",
        "HTTP_REFERER": f"https://barometre.example.fr{url}", "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip

    class Request:
        headers = [("REFERER", environ["HTTP_REFERER"])]

    class Answer:
        status, sent, headers = "200 OK", 10, []

    logger.access(Answer(), Request(), environ, dt.timedelta(0))
    for handler in list(logger.access_log.handlers + logger.error_log.handlers):
        handler.close()
        handler.parent = None
    logger.access_log.handlers.clear()
    logger.error_log.handlers.clear()
    written = (tmp_path / "access.log").read_text()
    assert written.count("[masqué]") == 5  # request line, Referer twice, path, query
    assert token not in written


def test_gunicorns_error_log_masks_secret_links_too(client, small_survey):
    from gunicorn.config import Config

    from barometre.logging import GunicornLogger

    url, token = secret_urls(client, small_survey)["campaigns:invitation"]
    logger = GunicornLogger(Config())
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger.error_log.addHandler(Keep())
    logger.error("Error handling request %s", url)
    assert records and token not in records[0] and "[masqué]" in records[0]


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_secret_links_never_reach_djangos_not_found_warnings(client, small_survey, kind, caplog):
    from barometre.logging import RedactTokens

    url, token = secret_urls(client, small_survey)[kind]
    with caplog.at_level(logging.INFO):
        client.get(url + "n/a/")  # a 404 that Django logs, with the token in the path
    # (The admin sends an unknown address of its own to the login page instead.)
    assert kind.startswith("admin:") or any("Not Found" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        RedactTokens().filter(record)
        assert token not in record.getMessage()


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_pages_reached_through_a_secret_link_never_send_it_to_another_site(
    client, small_survey, kind
):
    url, _ = secret_urls(client, small_survey)[kind]
    assert client.get(url).headers["Referrer-Policy"] == "same-origin"


def test_no_page_of_a_response_may_be_cached(client, small_survey):
    response = start(client)
    token = client.cookies["barometre_reprise"].value
    pages = {
        "start": client.post(reverse("start"), {"email": ""}),
        "resume": client.get(reverse("resume", args=[token])),
        "resume_link": client.get(reverse("resume_link")),
        "section": client.get(reverse("section", args=["profil"])),
        "autosave": client.post(reverse("autosave", args=["profil"]), {"q-profil_agents": "3"}),
        "review": client.get(reverse("review")),
        "delete_draft": client.get(reverse("delete_draft")),
    }
    client.cookies["barometre_reprise"] = token
    response.submit()
    pages["sent"] = client.get(reverse("sent"))
    for name, page in pages.items():
        assert "no-store" in page.headers.get("Cache-Control", ""), name
    grant = secret_urls(client, small_survey)["grant_access"][0]
    assert "no-store" in client.get(grant).headers["Cache-Control"]


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


def test_resume_by_email_counts_an_address_whatever_its_case(client_factory, small_survey):
    for email in ("Victim@mairie.fr", "VICTIM@mairie.fr", " victim@MAIRIE.fr"):
        page = client_factory().post(reverse("resume_by_email"), {"email": email})
        assert page.status_code == 200
    page = client_factory().post(reverse("resume_by_email"), {"email": "victim@Mairie.FR"})
    assert page.status_code == 429


DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_resume_by_email_answers_alike_whether_or_not_the_address_has_a_draft(
    client, small_survey, settings
):
    from django.db import connection
    from django.tasks import default_task_backend
    from django.test.utils import CaptureQueriesContext

    Respondent.create_for(ResponseFactory(edition=small_survey), email="agent@mairie.fr")
    tokens = ResumeToken.objects.count()
    settings.TASKS = DUMMY_TASKS
    pages = {}
    for email in ("agent@mairie.fr", "inconnu@mairie.fr"):
        with CaptureQueriesContext(connection) as queries:
            page = client.post(reverse("resume_by_email"), {"email": email})
        pages[email] = (page.status_code, len(queries), page.content.decode().replace(email, ""))
    assert pages["agent@mairie.fr"] == pages["inconnu@mairie.fr"]
    # Nothing looked up during the request: the message is written, its links made when sent.
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert "SELECT" not in statements and "INSERT" in statements
    assert mail.outbox == [] and ResumeToken.objects.count() == tokens
    # The background task is given the message's number, never the address.
    sent = [result.args for result in default_task_backend.results]
    messages = Message.objects.in_bulk([args[0] for args in sent])
    assert [messages[args[0]].recipient for args in sent] == [
        "agent@mairie.fr",
        "inconnu@mairie.fr",
    ]


def test_resume_by_email_sends_links_only_to_an_address_with_a_draft(client, small_survey):
    Respondent.create_for(ResponseFactory(edition=small_survey), email="agent@mairie.fr")
    client.post(reverse("resume_by_email"), {"email": "inconnu@mairie.fr"})
    assert mail.outbox == []
    client.post(reverse("resume_by_email"), {"email": "Agent@Mairie.fr"})
    assert len(mail.outbox) == 1 and "/reprendre/" in mail.outbox[0].body


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


MARK = "zorglub"  # in every personal value the next test types


def test_after_a_purge_no_declared_personal_data_is_left_anywhere_in_the_database(
    client, client_factory, small_survey, settings
):
    from django.apps import apps
    from django.contrib.auth.models import User

    from survey.collection.models import PERSONAL_FIELDS, AccessRequest

    settings.ADMIN_OTP_REQUIRED = False
    small_survey.questions.filter(code="profil_fonction").update(open_data=False)
    response = start(client, email=f"{MARK}@mairie.fr")
    client.post(
        reverse("section", args=["profil"]),
        {"q-profil_fonction": "autre", "q-profil_fonction-other": f"Chef {MARK}",
         "q-profil_agents": "12", "action": "later"},
    )  # fmt: skip
    Respondent.objects.filter(response=response).update(name=f"A. {MARK}", role=f"DSI {MARK}")
    response.assign_structure((f"SARL {MARK}", "123456782"))
    access, token = AccessRequest.create_for(response, f"collegue.{MARK}@mairie.fr")
    access.grant()
    empty = [
        (model, field)
        for model, fields in PERSONAL_FIELDS.items()
        for field in fields
        if not model.objects.exclude(**{field: ""}).exists()
    ]
    assert empty == []  # the scenario fills every declared field
    # Staff correct the structure (logged), and someone fails to log in with an address.
    User.objects.create_superuser("admin", password="un mot de passe assez long")
    admin = client_factory()
    admin.post(reverse("admin:login"), {"username": f"{MARK}@mairie.fr", "password": "x"})
    admin.post(
        reverse("admin:login"), {"username": "admin", "password": "un mot de passe assez long"}
    )
    page = admin.post(
        reverse("admin:survey_response_reassign", args=[response.pk]),
        {"code": "216902641", "reason": "Erreur de saisie"},
    )
    assert page.status_code == 302

    from axes.models import AccessAttempt, AccessLog

    long_ago = timezone.now() - datetime.timedelta(days=400)
    AccessAttempt.objects.update(attempt_time=long_ago)
    AccessLog.objects.update(attempt_time=long_ago)
    small_survey.opens_at = long_ago - datetime.timedelta(days=60)
    small_survey.closes_at = long_ago
    small_survey.save()
    call_command("purge_personal_data", "--before", timezone.now().date().isoformat())

    left = []
    for model in apps.get_models(include_auto_created=True):
        names = [field.attname for field in model._meta.concrete_fields]
        for row in model.objects.values_list(*names):
            if MARK in repr(row).lower():
                left.append((model._meta.label, row))
    assert left == []
    assert Answer.objects.filter(question__code="profil_agents", value=12).exists()
    assert MARK not in client.get(reverse("grant_access", args=[token])).content.decode()


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

    from campaigns.models import Message, MessageStatus

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "indisponible")

    monkeypatch.setattr("campaigns.mail.EmailMultiAlternatives.send", refuse)
    page = client.post(reverse("start"), {"email": "agent@mairie.fr"})
    assert page.status_code == 302
    assert 'data-testid="resume-link"' in client.get(reverse("resume_link")).content.decode()
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)  # to be retried


# -- The deadline ------------------------------------------------------------------------


@pytest.fixture
def in_flight_at_the_deadline(small_survey, monkeypatch):
    """A request that passed the view's open check 1 ms before the close and reaches the
    database 13 ms later (the clock moves while the form is validated)."""
    import time_machine

    from survey.collection import views

    closes = small_survey.closes_at
    with time_machine.travel(closes - datetime.timedelta(milliseconds=1), tick=False) as t:
        original = views.SectionForm.is_valid

        def slow_is_valid(form):
            valid = original(form)
            t.shift(datetime.timedelta(milliseconds=13))
            return valid

        monkeypatch.setattr(views.SectionForm, "is_valid", slow_is_valid)
        yield closes


@pytest.mark.parametrize("endpoint", ["section", "autosave"])
def test_nothing_is_committed_with_a_time_after_the_close(
    client, small_survey, in_flight_at_the_deadline, endpoint
):
    response = start(client)
    page = client.post(
        reverse(endpoint, args=["profil"]),
        {"q-profil_fonction": "dsi", "q-profil_agents": "10", "action": "later"},
    )
    assert page.status_code == 403
    assert not Answer.objects.filter(response=response).exists()
    response.refresh_from_db()
    assert response.updated_at <= in_flight_at_the_deadline


def test_a_response_cannot_be_sent_a_moment_after_the_close(small_survey):
    from survey.questionnaire.models import EditionClosed

    response = ResponseFactory(edition=small_survey)
    with pytest.raises(EditionClosed):
        response.submit(now=small_survey.closes_at + datetime.timedelta(milliseconds=13))
    response.refresh_from_db()
    assert not response.is_submitted and not response.submissions.exists()


# -- Request bodies ------------------------------------------------------------------------


def multipart(fields, file_size=0):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    data = dict(fields)
    if file_size:
        import io

        upload = io.BytesIO(b"x" * file_size)
        upload.name = "gros.bin"
        data["piece_jointe"] = upload
    return {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}


@pytest.mark.parametrize("size", [1024, 2 * 1024 * 1024])
def test_a_file_sent_where_none_is_expected_is_refused_and_not_stored(client, small_survey, size):
    responses = Response.objects.count()
    page = client.generic("POST", reverse("start"), **multipart({"email": ""}, size))
    assert page.status_code in (400, 413)
    assert Response.objects.count() == responses
    response = start(client)
    body = multipart({"q-profil_agents": "7"}, size)
    page = client.generic("POST", reverse("autosave", args=["profil"]), **body)
    assert page.status_code in (400, 413)
    assert not Answer.objects.filter(response=response).exists()


@pytest.mark.parametrize("url_name", ["start", "resume_by_email", "admin:login"])
def test_a_body_beyond_the_limit_is_refused_before_being_read(client, small_survey, url_name):
    body = multipart({"email": "a@b.fr", "texte": "x" * (600 * 1024)})
    page = client.generic("POST", reverse(url_name), **body)
    assert page.status_code == 413 and "trop volumineux" in page.content.decode()


def test_an_ordinary_multipart_form_still_works(client, small_survey):
    page = client.generic("POST", reverse("start"), **multipart({"email": ""}))
    assert page.status_code == 302

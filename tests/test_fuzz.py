"""Hostile input on every endpoint that accepts some: always a 4xx or a French validation
message, never a 500, and nothing stored that `clean_answer` would refuse."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from survey.collection.models import Answer, Response
from tests.helpers.fuzz import examples

pytestmark = pytest.mark.django_db

EXAMPLES = 200  # under the `ci` profile (tests/helpers/fuzz.py)
FUZZ = settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELD_NAMES = [
    "q-profil_fonction", "q-profil_fonction-other", "q-profil_agents", "q-usage_ia",
    "q-usage_domaines", "q-usage_description", "q-inconnue", "version", "action",
    "q-", "q-usage_domaines-other", "csrfmiddlewaretoken", "shown",
]  # fmt: skip
nasty_text = st.one_of(
    st.text(max_size=50),
    st.sampled_from(["", "\x00", "oui\x00", "-1", "1e309", "NaN", "9" * 40, "dsi", "autre"]),
    # Digits int() or str.isdigit() accept but a respondent never means (« ² » once gave a 500).
    st.sampled_from(["²200", "2³", "１２", "١٢٣", "𝟙", "1_000", "1_000,5", "٣,5"]),
    st.just("x" * 20000),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10),
)
form_data = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=20)),
    st.one_of(nasty_text, st.lists(nasty_text, max_size=4)),
    max_size=10,
)


@pytest.fixture
def respondent_client(small_survey):
    cache.clear()
    client = Client()
    client.post(reverse("start"))
    return client


def assert_everything_stored_is_valid():
    for answer in Answer.objects.select_related("question").prefetch_related(
        "question__choices", "question__items"
    ):
        assert answer.question.clean_answer(answer.value) == answer.value


def assert_handled(page):
    assert page.status_code < 500, page.content[:500]


NUMBERS_THAT_BROKE = {"q-profil_agents": "²200", "q-profil_fonction": "dsi", "action": "later"}


@FUZZ
@given(data=form_data, slug=st.sampled_from(["profil", "usages"]))
@example(data=NUMBERS_THAT_BROKE, slug="profil")
@example(data={"q-profil_agents": ["１２", "1_000"]}, slug="profil")
def test_fuzzing_page_saves(respondent_client, data, slug):
    assert_handled(respondent_client.post(reverse("section", args=[slug]), data))
    assert_everything_stored_is_valid()


@FUZZ
@given(data=form_data, slug=st.sampled_from(["profil", "usages"]))
@example(data=NUMBERS_THAT_BROKE, slug="profil")
@example(data={"q-profil_agents": "١٢٣"}, slug="profil")
def test_fuzzing_autosave(respondent_client, data, slug):
    page = respondent_client.post(reverse("autosave", args=[slug]), data)
    assert_handled(page)
    assert page["Content-Type"].startswith("application/json")
    assert_everything_stored_is_valid()


@FUZZ
@given(slug=st.text(max_size=80))
def test_fuzzing_page_addresses(respondent_client, slug):
    page = respondent_client.get(f"/questionnaire/{slug}/")
    assert_handled(page)


@FUZZ
@given(token=st.text(max_size=300))
def test_fuzzing_resume_tokens(small_survey, token):
    cache.clear()
    page = Client().get("/reprendre/" + token.replace("/", "") + "/")
    assert_handled(page)
    assert page.status_code in (301, 302, 404, 429) or page.status_code == 200


@FUZZ
@given(data=form_data)
def test_fuzzing_resume_by_email_and_start(small_survey, data):
    cache.clear()
    assert_handled(Client().post(reverse("resume_by_email"), data))
    assert_handled(Client().post(reverse("start"), data))


@FUZZ
@given(body=st.binary(max_size=2000))
def test_fuzzing_raw_bodies_including_invalid_utf8(respondent_client, body):
    for url in (reverse("section", args=["profil"]), reverse("autosave", args=["usages"])):
        page = respondent_client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded"
        )
        assert_handled(page)
    assert_everything_stored_is_valid()


def test_an_oversized_body_is_refused(respondent_client):
    page = respondent_client.post(
        reverse("section", args=["profil"]), {"q-usage_description": "x" * 400_000}
    )
    assert page.status_code == 400
    assert Response.objects.get().answers.count() == 0


def test_too_many_fields_are_refused(respondent_client):
    data = {f"champ{n}": "x" for n in range(3000)}
    assert respondent_client.post(reverse("section", args=["profil"]), data).status_code == 400


def test_a_missing_or_wrong_csrf_token_is_refused_without_saving(small_survey):
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("home"))
    token = browser.cookies["csrftoken"].value
    browser.post(reverse("start"), {"csrfmiddlewaretoken": token})
    for data in ({}, {"csrfmiddlewaretoken": "faux"}):
        page = browser.post(reverse("section", args=["profil"]), {**data, "q-profil_agents": "3"})
        assert page.status_code == 403
        auto = browser.post(reverse("autosave", args=["profil"]), {**data, "q-profil_agents": "3"})
        assert auto.status_code == 403 and "expiré" in auto.json()["message"]
    assert Answer.objects.count() == 0


@FUZZ
@given(query=st.one_of(nasty_text, st.text(max_size=200)), next_url=nasty_text)
def test_fuzzing_collectivite_search_and_choice(small_survey, query, next_url):
    cache.clear()
    browser = Client()
    assert_handled(browser.get(reverse("collectivite_search"), {"q": query}))
    assert_handled(browser.get(reverse("collectivite_choose"), {"q": query, "next": next_url}))


@FUZZ
@given(code=st.text(max_size=30), data=form_data, token=st.text(max_size=120))
def test_fuzzing_access_requests_and_grants(respondent_client, code, data, token):
    cache.clear()
    code = code.replace("/", "") or "x"
    assert_handled(respondent_client.get(f"/collectivites/{code}/demander-acces/"))
    assert_handled(respondent_client.post(f"/collectivites/{code}/demander-acces/", data))
    token = token.replace("/", "") or "x"
    assert_handled(respondent_client.post(f"/acces/{token}/", data))


@pytest.fixture
def staff_client(small_survey):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("chef", password="x" * 20))
    return client


EXPORT_FIELDS = ["edition", "format", "status", "labels", "delimiter", "bom", "free_text",
                 "contacts"]  # fmt: skip


@settings(
    max_examples=examples(EXAMPLES // 2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(EXPORT_FIELDS), st.one_of(nasty_text, st.sampled_from(
            ["csv", "xlsx", "json", "datapackage", "long-csv", "all", "draft", "submitted",
             ";", "on", "2025", "0", "-1"]
        )), max_size=8,
    )
)  # fmt: skip
def test_fuzzing_admin_export_parameters(staff_client, data):
    page = staff_client.post(reverse("admin:survey_response_export"), data)
    assert_handled(page)
    if page.streaming:
        assert b"".join(page.streaming_content)  # the whole file renders

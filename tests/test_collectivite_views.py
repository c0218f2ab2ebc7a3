from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from survey.collectivites.search import load_collectivites
from survey.typography import typeset

SAMPLE = Path(__file__).parent / "data" / "collectivites-sample.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sample():
    load_collectivites(SAMPLE)


def test_the_json_search_gives_code_name_and_what_tells_homonyms_apart(client):
    response = client.get(reverse("collectivite_search"), {"q": "saint denis"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0] == {
        "code": "219740115",
        "name": "Saint-Denis",
        "label": "Saint-Denis — La Réunion (974)",
        "detail": "Commune · La Réunion (974) · 155\u202f634 habitants",
    }
    assert [r["label"] for r in results[1:3]] == [
        "Saint-Denis — Seine-Saint-Denis (93)",
        "Saint-Denis — Aude (11)",
    ]


def test_the_json_search_gives_the_insee_code_of_a_commune_without_siren(client):
    response = client.get(reverse("collectivite_search"), {"q": "papeete"})
    assert response.json()["results"][0]["code"] == "98735"


@pytest.mark.parametrize("query", ["", "a", "\x00", "%", "_", "'; DROP TABLE x; --", "é" * 100])
def test_the_json_search_answers_odd_queries_with_an_empty_list(client, query):
    response = client.get(reverse("collectivite_search"), {"q": query})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_json_search_refuses_a_huge_query(client):
    response = client.get(reverse("collectivite_search"), {"q": "saint " * 100})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Votre recherche est trop longue")


def test_the_json_search_only_answers_get(client):
    assert client.post(reverse("collectivite_search"), {"q": "lyon"}).status_code == 405


def test_the_choose_page_links_each_result_back_with_its_code(client):
    response = client.get(
        reverse("collectivite_choose"),
        {"q": "saint denis", "next": "/questionnaire/profil?etape=2"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert typeset("4 résultats pour « saint denis »") in content
    assert "Saint-Denis — Seine-Saint-Denis (93)" in content
    first = response.context["results"][0]["url"]
    parts = urlsplit(first)
    assert parts.path == "/questionnaire/profil"
    assert parse_qs(parts.query) == {"etape": ["2"], "collectivite": ["219740115"]}


def test_the_choose_page_replaces_a_previous_choice_in_next(client):
    response = client.get(
        reverse("collectivite_choose"), {"q": "lyon", "next": "/profil?collectivite=217500016"}
    )
    assert response.context["results"][0]["url"] == "/profil?collectivite=216901231"


def test_the_choose_page_says_when_nothing_matches(client):
    response = client.get(reverse("collectivite_choose"), {"q": "zzzz", "next": "/profil"})
    assert response.status_code == 200
    assert typeset("Aucun résultat pour « zzzz »") in response.content.decode()
    assert "Autre structure" in response.content.decode()


@pytest.mark.parametrize(
    "next_url",
    [
        "",
        "https://evil.example/",
        "//evil.example/",
        "/profil\x00",
        "javascript:alert(1)",
        "\\\\evil",
    ],
)
def test_the_choose_page_refuses_a_return_address_elsewhere(client, next_url):
    response = client.get(reverse("collectivite_choose"), {"q": "lyon", "next": next_url})
    assert response.status_code == 400
    assert "Le lien qui mène à cette page n’est pas valide" in response.content.decode()
    assert "evil" not in response.content.decode()


def test_the_choose_page_refuses_a_huge_query_with_a_message(client):
    response = client.get(reverse("collectivite_choose"), {"q": "x" * 500, "next": "/profil"})
    assert response.status_code == 400
    assert "Votre recherche est trop longue" in response.content.decode()


def test_the_choose_page_accepts_an_absolute_address_on_this_site(client):
    response = client.get(
        reverse("collectivite_choose"), {"q": "lyon", "next": "http://testserver/profil"}
    )
    assert response.status_code == 200
    assert (
        response.context["results"][0]["url"] == "http://testserver/profil?collectivite=216901231"
    )


def _names(client, query):
    response = client.get(reverse("collectivite_search"), {"q": query})
    return [result["name"] for result in response.json()["results"]]


def test_a_repeated_search_is_answered_from_the_cache_without_the_database(
    client, django_assert_num_queries
):
    first = _names(client, "Saint-Denis")
    with django_assert_num_queries(0):
        assert _names(client, "saint denis") == first  # the same words, spelt otherwise


def test_a_cached_search_shows_a_collectivite_renamed_since(client):
    from survey.collectivites.models import Collectivite

    assert "Papeete" in _names(client, "papeete")
    papeete = Collectivite.objects.get(name="Papeete")
    papeete.name = "Pape'ete"
    papeete.save()
    assert _names(client, "papeete") == ["Pape\u2019ete"]  # typographic apostrophe

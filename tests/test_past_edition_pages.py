"""/resultats/2023/ and its methodology, on a database loaded as `make run` loads it: 2023's
figures re-estimated from its published table with every stratum, the rule of the collected
editions, and beside them the « Total pondéré » of 2023 labelled for what it was."""

import re
from html import unescape
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from editions.estimates import published_estimates
from editions.importer import import_published
from editions.models import PublishedPercentage, PublishedTotal
from results.models import Reliability
from survey import numbers
from survey.models import Collectivite, Edition
from tests.helpers.html import nu_problems
from tests.helpers.results import LARGE_AI_2023, ai_table, load_as_make_run, shipped_questionnaires

ROOT = Path(__file__).resolve().parent.parent
LABEL = (
    "Total pondéré publié en 2023 (collectivités de 3\u202f500 habitants ou plus, règle de 2023)"
)


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """The database as `make run` loads it, once for the module, inside a transaction rolled
    back at its end; each test runs in a savepoint of it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_as_make_run()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def loaded(shipped, db):
    return Edition.objects.for_year(2023, "barometre-ia-collectivites")


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


def plain(html):
    """Text with every kind of space written as one plain space (French typography puts
    no-break spaces in numbers and before « : »)."""
    return " ".join(unescape(html).split())


def row_of(html, label):
    """The cells of the table row whose header is `label` (tags stripped, every kind of space
    written as one plain space)."""
    found = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert found, label
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    ]


def test_the_loaded_database_is_the_one_make_run_loads(loaded):
    assert [path.name for path in shipped_questionnaires()] == [
        "2023.toml",
        "2025.toml",
        "citoyens-2025.toml",
    ]
    assert Edition.objects.filter(year=2025).count() == 2  # the barometer and the poll
    assert Collectivite.objects.count() > 36000
    assert PublishedPercentage.objects.filter(question__edition=loaded).count() == 27


def test_2023_shows_every_question_of_its_table_with_the_weighted_total_labelled_for_what_it_was(
    client, loaded
):
    html = html_of(client.get(reverse("results_public", args=[2023])))
    assert "pas encore publiés" not in html and "Revenez bientôt" not in html
    assert 'data-testid="past-rgpd_processus"' in html and 'data-testid="past-usage_ia"' in html
    assert html.count(f">{LABEL}</th>") == 2  # one column per question
    # Every figure of the shipped table fails today's rule: each says why, none shows a value.
    oui = row_of(html, "Oui")
    assert oui[:5] == ["—", "—", "114", "—", oui[4]]
    assert oui[4].startswith("Non publié : taille effective de l’échantillon inférieure à 30")
    assert oui[5] == "43 %"  # the RGPD question's « Total pondéré », as published
    assert row_of(html, "Sans réponse (hors de la base des estimations)")[-1] == "0 %"
    # The AI question: 9 % published in 2023 for the larger collectivités.
    ai = html[html.index('data-testid="past-usage_ia"') :]
    assert row_of(ai, "Oui")[-1] == "9 %"
    assert "191 réponses" in html


def test_the_weighted_total_stands_beside_all_and_larger_collectivites_only(client, loaded):
    page = reverse("results_public", args=[2023])
    larger = html_of(client.get(page, {"domaine": "3500-plus"}))
    assert LABEL in larger and "Collectivités de 3\u202f500 habitants ou plus</h2>" in larger
    regions = html_of(client.get(page, {"domaine": "type:region"}))
    assert f">{LABEL}</th>" not in regions
    assert "Régions</h2>" in regions
    # A domain the published table cannot give falls back to every collectivité.
    assert "Toutes collectivités</h2>" in html_of(client.get(page, {"domaine": "region:84"}))


def test_a_figure_that_passes_the_rule_shows_its_value_interval_base_and_count(client, loaded):
    """The shipped table has none: a made-up table (test data) large enough for the rule."""
    import_published(
        loaded,
        ai_table(table=LARGE_AI_2023),
        (ROOT / "data" / "national-counts-2023.csv").read_text(encoding="utf-8"),
    )
    question = loaded.questions.get(code="usage_ia")
    figures = {e.choice_code: e for e in published_estimates(question, "3500-plus")}
    assert figures["non"].reliability != Reliability.SUPPRESSED
    html = html_of(client.get(reverse("results_public", args=[2023]), {"domaine": "3500-plus"}))
    non = row_of(html, "Non")
    figure = figures["non"]
    assert non[0] == " ".join(numbers.percent(figure.value).split())
    assert non[1] == " ".join(numbers.percent_interval(figure.ci_low, figure.ci_high).split())
    assert non[2:4] == [str(figures["non"].base_n), str(figures["non"].n)]
    assert non[4] in ("Publié", "À interpréter avec prudence")
    assert non[5] == "—"  # the made-up table has no « Total pondéré »


def test_the_2023_methodology_says_what_was_published_how_it_is_re_estimated_and_why_they_differ(
    client, loaded
):
    html = html_of(client.get(reverse("results_methodology", args=[2023])))
    for heading in [
        "Ce qui a été publié en 2023",
        "Comment Baromètre ré-estime 2023",
        "Pourquoi les deux chiffres diffèrent",
    ]:
        assert f">{heading}</h2>" in html
    assert "sans aucun intervalle de confiance" in html
    assert "<strong>4 556 collectivités de 3 500 habitants ou plus</strong>" in plain(html)
    assert "aux 31 762 communes de moins de 3 500 habitants, 87,5 % des collectivités" in plain(
        html
    )
    totals = html[html.index('data-testid="totals-usage_ia"') :]
    assert row_of(totals, "Oui") == ["27", "28", "9"]
    assert "Korn et Graubard" in html and "dont la taille effective est inférieure à 30" in html
    strata = row_of(html, "Communes de moins de 3\u202f500 habitants")
    assert strata == ["31 762", "9", "0,0 %", "87,5 %"]
    counts = re.search(r'data-testid="publication-counts">(.*?)</p>', html, re.S).group(1)
    assert plain(counts) == (
        "Sur les 42 estimations que le tableau de 2023 permet (toutes questions, réponses et "
        "domaines), aucune ne passe la règle, aucune avec prudence, et 42 ne sont pas publiées."
    )


def test_2023_has_no_evolution_page_of_its_own_and_says_where_changes_are(client, loaded):
    response = client.get(reverse("results_trends", args=[2023]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Revenez bientôt" not in html
    assert "Pas d’évolution à montrer pour 2023" in html


def test_a_collected_edition_keeps_its_own_pages(client, loaded):
    # 2025 has no computation yet: results' own page says so, as before.
    response = client.get(reverse("results_public", args=[2025]))
    assert response.status_code == 404
    assert "ne sont pas encore publiés" in response.content.decode()
    assert client.get(reverse("results_methodology", args=[2025])).status_code == 404
    assert client.get(reverse("results_public", args=[2031])).status_code == 404


def test_the_2023_pages_pass_the_nu_html_checker(client, loaded, tmp_path):
    pages = [
        ("past-results", client.get(reverse("results_public", args=[2023]))),
        (
            "past-results-3500",
            client.get(reverse("results_public", args=[2023]), {"domaine": "3500-plus"}),
        ),
        ("past-methodology", client.get(reverse("results_methodology", args=[2023]))),
    ]
    assert nu_problems([(name, html_of(page)) for name, page in pages], tmp_path) == []


def test_the_published_percentages_are_those_of_the_shipped_table(loaded):
    weighted = PublishedPercentage.objects.filter(
        question__code="rgpd_processus", question__edition=loaded, total=PublishedTotal.WEIGHTED
    )
    assert dict(weighted.values_list("choice_code", "percentage")) == {
        "oui": 43,
        "non_prevu_12_mois": 37,
        "non_pas_prevu": 6,
        "nsp": 13,
        "": 0,
    }

"""Two editions side by side: 2023 imported from its published table, 2025 collected and
weighted; the year-over-year pages show the comparable questions only, with their intervals."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from editions.importer import import_published
from results.models import Publication
from survey.questionnaire.models import Edition
from tests.helpers.browser import PASSWORD, assert_accessible, assert_fits, open_page
from tests.helpers.html import nu_problems
from tests.helpers.results import LARGE_AI_2023, ai_table, computation_2025

ROOT = Path(__file__).resolve().parent.parent


def two_editions():
    """2023 from its published rows, 2025 with a stored computation (2025 closed long ago)."""
    call_command("load_questionnaire", ROOT / "questionnaires" / "2025.toml", verbosity=0)
    call_command(
        "import_published_counts",
        ROOT / "data" / "published-2023.csv",
        edition=2023,
        national=ROOT / "data" / "national-counts-2023.csv",
        verbosity=0,
    )
    current = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    computation_2025(
        current,
        [
            ("usage_ia", "oui", 0.30, 0.08, 300),
            ("usage_ia", "non", 0.62, 0.04, 300),
            ("usage_ia", "nsp", 0.08, 0.25, 300),
            ("usage_ia_prevu", "oui", 0.40, 0.05, 300),
        ],
    )
    return current


@pytest.fixture
def observatoire(client):
    user = User.objects.create_user("analyste", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_staff_see_each_comparable_question_beside_2023_with_the_change_and_its_interval(
    observatoire,
):
    two_editions()
    page = observatoire.get(reverse("admin:results_trends", args=[2025]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="trend-usage_ia"' in html
    # « Je ne sais pas » may stay level: within noise; « Oui » jumped from about 1 % to 30 %.
    oui = re.search(r"<th scope=\"row\">Oui</th>(.*?)</tr>", html, re.S).group(1)
    assert "+28," in oui and "marge d’erreur" not in oui
    # Asked to other respondents in 2025: never a trend.
    assert "trend-usage_ia_prevu" not in html
    assert "Panel" not in html  # 2023 is known only by its published table


def precise_2023():
    """Replace the shipped 2023 counts by a made-up table large enough for the rule."""
    import_published(
        Edition.objects.for_year(2023, "barometre-ia-collectivites"),
        ai_table(table=LARGE_AI_2023),
        (ROOT / "data" / "national-counts-2023.csv").read_text(encoding="utf-8"),
    )


@pytest.mark.django_db
def test_the_public_sees_the_trend_of_published_questions_only(client):
    current = two_editions()
    trends = reverse("results_trends", args=[2025])
    assert client.get(trends).status_code == 404  # nothing published yet
    Publication.objects.create(edition=current, question=current.questions.get(code="usage_ia"))
    page = client.get(trends)
    assert page.status_code == 200
    html = page.content.decode()
    # The shipped 2023 table cannot support a published figure: no change is shown, and why.
    assert 'data-testid="trend-usage_ia"' not in html
    assert 'data-testid="trend-usage_ia-suppressed"' in html
    assert "ne passe pas la règle de publication" in html
    precise_2023()
    html = client.get(trends).content.decode()
    assert 'data-testid="trend-usage_ia"' in html
    assert (
        "2023\u00a0: Toutes collectivités (strates du tableau publié en 2023)\u00a0; 2025\u00a0: "
        in html
    )
    other = client.get(trends, {"domaine": "type:region"})
    assert "Aucune question publiée ne se compare" in other.content.decode()


@pytest.mark.django_db
def test_the_trend_pages_pass_the_nu_html_checker(observatoire, client, tmp_path):
    current = two_editions()
    Publication.objects.create(edition=current, question=current.questions.get(code="usage_ia"))
    pages = [
        ("staff-trends", observatoire.get(reverse("admin:results_trends", args=[2025]))),
        ("public-trends", client.get(reverse("results_trends", args=[2025]))),
    ]
    html = [(name, page.content.decode()) for name, page in pages]
    assert nu_problems(html, tmp_path) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [320, 1280])
def test_a_reader_compares_2025_with_2023_in_a_browser_without_javascript(
    browser, live_server, width
):
    current = two_editions()
    precise_2023()
    Publication.objects.create(edition=current, question=current.questions.get(code="usage_ia"))
    page = open_page(browser, width, java_script=False)
    page.goto(f"{live_server.url}/resultats/2025/evolution/")
    table = page.get_by_role("table", name=re.compile("^Votre structure a-t-elle déjà"))
    expect(table.get_by_role("columnheader")).to_have_text(
        [
            "Réponse",
            "2023 (IC 95 %)",
            "Effectif 2023 (option)",
            "Base 2023 (répondants)",
            "2025 (IC 95 %)",
            "Effectif 2025 (option)",
            "Base 2025 (répondants)",
            "Évolution en points (IC 95 %)",
        ]
    )
    expect(table).to_contain_text("points")
    page.get_by_label("Collectivités concernées").select_option(
        "Collectivités de 3 500 habitants ou plus"
    )
    page.get_by_role("button", name="Afficher").click()
    expect(
        page.get_by_role("heading", name="Collectivités de 3 500 habitants ou plus")
    ).to_be_visible()
    assert_fits(page, width)
    assert page.blocked == []
    checked = open_page(browser, width)
    checked.goto(f"{live_server.url}/resultats/2025/evolution/")
    assert_accessible(checked)

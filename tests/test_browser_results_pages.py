"""The weighted results in a real browser: the staff page of a question, and the public results
and methodology of a closed edition, on a phone and a desktop, without JavaScript needed."""

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from results.models import Publication
from tests.helpers.browser import (
    PASSWORD,
    assert_accessible,
    assert_fits,
    open_page,
    row,
    unreadable_figures,
)
from tests.results_sample import compute
from tests.sample import make_questionnaire

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [320, 1280])
def test_the_observatoire_team_reads_a_questions_weighted_results(
    browser, live_server, settings, width
):
    settings.ADMIN_OTP_REQUIRED = False
    user = User.objects.create_user("analyste", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    edition = make_questionnaire()
    compute(edition)

    page = open_page(browser, width)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("analyste")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.get_by_role("link", name="Résultats pondérés").first.click()
    page.goto(f"{live_server.url}/admin/resultats/?edition={edition.year}")
    expect(page.get_by_role("heading", name="Méthode du calcul")).to_be_visible()
    page.get_by_role("link", name="usage_ia").click()

    table = page.get_by_role("table", name=re.compile("^Utilisez-vous"))
    expect(row(table, "Oui").get_by_role("cell")).to_have_text(
        ["40", "100", "43,0\u00a0%", "[33,0\u00a0; 53,0]", "63", "Publiable"]
    )
    expect(row(table, "Non")).to_contain_text("À interpréter avec prudence")
    expect(page.get_by_role("img", name=re.compile("^Utilisez-vous.*barres"))).to_be_attached()
    page.get_by_label("Domaine").select_option("Collectivités de 3 500 habitants ou plus")
    page.get_by_role("button", name="Afficher").click()
    expect(
        page.get_by_role("heading", name="Collectivités de 3 500 habitants ou plus", exact=True)
    ).to_be_visible()
    page.get_by_label("Croiser avec").select_option("orga_charte")
    page.get_by_role("button", name="Croiser").click()
    cross = page.get_by_role("table", name=re.compile("selon la réponse à"))
    expect(cross.get_by_role("columnheader")).to_have_text(
        ["Option", "Oui (base : 1)", "Non (base : 1)"]
    )
    expect(row(cross, "Oui")).to_contain_text("Non publiable")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les estimations de la question (CSV").click()
    assert download.value.suggested_filename == f"estimations-{edition.year}-usage_ia.csv"

    assert_accessible(page)
    assert_fits(page, width)
    assert not page.blocked, page.blocked


@pytest.mark.parametrize("width", [320, 1280])
def test_anyone_reads_the_published_results_of_a_closed_edition_without_javascript(
    browser, live_server, width
):
    edition = make_questionnaire()
    compute(edition)
    for code in ["usage_ia", "usage_impacts"]:
        Publication.objects.create(edition=edition, question=edition.questions.get(code=code))

    page = open_page(browser, width, java_script=False)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Consulter les résultats").click()
    expect(page.get_by_role("heading", name=f"Résultats du {edition.title}")).to_be_visible()
    table = page.get_by_role("table", name=re.compile("^Utilisez-vous"))
    expect(row(table, "Oui")).to_contain_text(re.compile(r"43,0\s%"))
    expect(row(table, "Je ne sais pas")).to_contain_text("Non publié")
    expect(page.get_by_role("img", name=re.compile("^Agents.*barres"))).to_be_attached()
    page.get_by_label("Collectivités concernées").select_option(
        "Collectivités de 3 500 habitants ou plus"
    )
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("3")
    assert "domaine=3500-plus" in page.url
    page.get_by_role("link", name="Méthodologie").click()
    strata = page.get_by_role("table", name=re.compile("^Collectivités de la base"))
    expect(row(strata, "Communes de moins de 3 500 habitants")).to_be_visible()
    assert_fits(page, width)

    # axe runs as a script: check both pages again in a browser that runs scripts.
    checked = open_page(browser, width)
    for path in [f"/resultats/{edition.year}/", f"/resultats/{edition.year}/methodologie/"]:
        checked.goto(f"{live_server.url}{path}")
        assert_accessible(checked)
        assert_fits(checked, width)
        assert unreadable_figures(checked) == []
    assert not checked.blocked, checked.blocked

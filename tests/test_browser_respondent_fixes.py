"""Issue 24 in a real browser, at 320 and 1,280 px: a taken collectivité said right after it is
chosen, the required notice and the progress bar, the staff's preview of a page, and the
drop-off on the coverage page (screenshots in docs/screenshots/)."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from survey.collection.models import Response
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import BAROMETER_SURVEY, Edition
from tests.factories import CollectiviteFactory, ResponseFactory
from tests.helpers.browser import assert_accessible, resume_href

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "un mot de passe assez long"
WIDTHS = [320, 1280]


def sized_page(browser, width):
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_colleague_learns_the_collectivite_is_taken_as_soon_as_it_is_chosen(
    browser, live_server, small_survey, width
):
    ResponseFactory(edition=small_survey, collectivite=small_survey_villeurbanne())
    page = sized_page(browser, width)
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    assert resume_href(page)
    page.get_by_role("link", name="Commencer").click()
    # 13: the notice says what « Enregistrer et continuer » does; 16: nothing done yet.
    expect(page.get_by_text("obligatoires pour passer à la page suivante")).to_be_visible()
    assert page.locator("progress").get_attribute("value") == "0"
    page.get_by_role("combobox", name="Rechercher votre collectivité").fill("villeurb")
    page.get_by_role("option", name="Villeurbanne").click()
    alert = page.get_by_test_id("collectivite-taken")
    expect(alert).to_contain_text("a déjà une réponse en cours")
    expect(alert.get_by_role("link", name="Demander à contribuer à cette réponse")).to_be_visible()
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Aucune collectivité choisie pour le moment."
    )
    status = page.locator("[data-picker-status]")
    expect(status).to_contain_text("Collectivité choisie")
    assert "choisie\u202f:" in status.text_content()  # a narrow no-break space, from the script
    no_sideways_scroll(page)
    assert_accessible(page)
    alert.get_by_role("link", name="Demander à contribuer à cette réponse").click()
    expect(page).to_have_url(f"{live_server.url}/collectivites/216902641/demander-acces/")


def small_survey_villeurbanne():
    from survey.collectivites.models import Collectivite

    return Collectivite.objects.get(siren="216902641")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_error_summary_and_the_last_page_read_right(browser, live_server, small_survey, width):
    page = sized_page(browser, width)
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    page.get_by_role("link", name="Commencer").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Quelle est votre fonction ? Cette question est obligatoire.")
    assert "? :" not in summary.inner_text().replace("\u00a0", " ")
    page.get_by_role("combobox", name="Rechercher votre collectivité").fill("vaulx")
    page.get_by_role("option", name="Vaulx-en-Velin").click()
    page.get_by_label("Dsi").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    assert page.locator("progress").get_attribute("value") == "50"  # not full on arrival
    no_sideways_scroll(page)
    assert_accessible(page)


@pytest.fixture
def questionnaire_2025():
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    load_questionnaire(ROOT / "questionnaires" / "2025.toml")
    return Edition.objects.for_year(2025, BAROMETER_SURVEY)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_preview_a_questionnaire_page_as_respondents_see_it(
    browser, live_server, settings, questionnaire_2025, width
):
    settings.ADMIN_OTP_REQUIRED = False
    User.objects.create_superuser("chef", "chef@example.fr", PASSWORD)
    page = sized_page(browser, width)
    log_in(page, live_server, "chef")
    page.goto(f"{live_server.url}/admin/survey/edition/{questionnaire_2025.pk}/change/")
    page.get_by_role("link", name="Vous et votre collectivité").first.click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("rien n’est enregistré")
    expect(page.get_by_role("heading", name="Vous et votre collectivité", level=1)).to_be_visible()
    # A question asked only after a given answer is shown too, and nothing can be typed.
    agents = page.get_by_label("Combien d’agents travaillent dans ces équipes")
    expect(agents).to_be_visible()
    expect(agents).to_be_disabled()
    expect(page.get_by_role("button", name="Enregistrer et continuer")).to_have_count(0)
    page.get_by_role("link", name="Page suivante").click()
    expect(
        page.get_by_role("heading", name="Usages de l’intelligence artificielle")
    ).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    if width == 1280:
        page.get_by_role("link", name="Page précédente").click()
        if os.environ.get("SAVE_SCREENSHOTS"):  # rewritten on demand only
            page.screenshot(path=SCREENSHOTS / "staff-preview.png", full_page=False)
    assert not Response.objects.exists()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_team_reads_the_drop_off_page_by_page_on_the_coverage_page(
    browser, live_server, settings, questionnaire_2025, width
):
    settings.ADMIN_OTP_REQUIRED = False
    user = User.objects.create_user("analyste", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    slugs = list(questionnaire_2025.sections.order_by("position").values_list("slug", flat=True))
    # 12 started; each later page loses some (10 validate page 1, 8 page 2, ...).
    for number in range(12):
        ResponseFactory(
            edition=questionnaire_2025,
            collectivite=CollectiviteFactory(population=900 + number),
            completed_sections=slugs[: max(0, 10 - 2 * number // 2 - number // 3)],
        )
    Edition.objects.filter(pk=questionnaire_2025.pk).update(
        opens_at="2025-01-01T00:00:00Z", closes_at="2099-01-01T00:00:00Z"
    )
    page = sized_page(browser, width)
    log_in(page, live_server, "analyste")
    page.goto(f"{live_server.url}/admin/suivi-collecte/?edition=2025")
    table = page.get_by_role("table", name="Abandons page par page")
    expect(table).to_be_attached()
    first = table.get_by_role("row", name="1. Vous et votre collectivité")
    expect(first.get_by_role("cell").first).to_have_text("12")
    expect(
        page.get_by_role("img", name="Réponses qui ont atteint puis validé chaque page")
    ).to_be_attached()
    expect(page.locator("ol.breadcrumbs")).to_be_visible()
    assert page.locator("ol.breadcrumbs").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    ) not in ("rgba(0, 0, 0, 0)", "transparent")
    assert_accessible(page)
    if width == 1280:
        page.get_by_role("heading", name="Abandons page par page").scroll_into_view_if_needed()
        if os.environ.get("SAVE_SCREENSHOTS"):  # rewritten on demand only
            page.screenshot(path=SCREENSHOTS / "coverage-funnel.png", full_page=False)

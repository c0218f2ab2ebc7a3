import pytest
from playwright.sync_api import expect

from tests.helpers.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_and_fill_profile(page, live_server):
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    page.get_by_role("link", name="Commencer").click()
    page.get_by_role("combobox", name="Rechercher votre collectivité").fill("villeurb")
    page.get_by_role("option", name="Villeurbanne").click()
    page.get_by_label("Dsi").check()


def test_after_sending_the_landing_page_offers_to_consult_not_to_continue(
    page, live_server, small_survey
):
    start_and_fill_profile(page, live_server)
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_text("Vos réponses sont enregistrées")).to_have_count(1)
    page.get_by_role("link", name="Continuer mes réponses").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Non").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()

    page.goto(live_server.url)
    expect(page.get_by_test_id("response-status")).to_contain_text("Réponses envoyées le")
    expect(page.get_by_text("réponse en cours")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Consulter ou modifier mes réponses").click()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()


def test_the_footer_leads_to_the_legal_notice_and_the_accessibility_statement(
    page, live_server, small_survey
):
    page.goto(live_server.url)
    footer = page.get_by_role("navigation", name="Liens utiles")
    footer.get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", name="Mentions légales", level=1)).to_be_visible()
    assert_accessible(page)
    footer.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    expect(page.get_by_role("heading", name="Déclaration d’accessibilité")).to_be_visible()
    assert_accessible(page)

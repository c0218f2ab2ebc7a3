"""How the questions of a page behave in the browser: « Autre » fields, exclusive choices,
question numbers."""

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import assert_accessible, saved, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_other_field_appears_only_when_other_is_ticked(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    other = page.get_by_label("Précisez")
    expect(other).to_be_hidden()
    page.get_by_label("Autre", exact=True).check()
    expect(other).to_be_visible()
    other.fill("Chargée de mission")
    assert_accessible(page)
    page.get_by_label("Dsi").check()
    expect(other).to_be_hidden()
    page.get_by_label("Autre", exact=True).check()
    expect(other).to_have_value("Chargée de mission")  # nothing typed is lost


def test_the_other_field_stays_visible_without_javascript(browser, live_server, small_survey):
    page = browser.new_context(java_script_enabled=False).new_page()
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    expect(page.get_by_label("Précisez (si vous avez choisi « Autre »)")).to_be_visible()


def test_an_exclusive_choice_unticks_the_others_and_the_others_untick_it(
    page, live_server, small_survey
):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_label("Oui").check()
    domains = page.get_by_role("group", name="Dans quels domaines ?")
    mobility, water, unknown = (domains.get_by_label(name) for name in ("Mobilite", "Eau", "Nsp"))
    mobility.check()
    water.check()
    unknown.check()
    expect(mobility).not_to_be_checked()
    expect(water).not_to_be_checked()
    water.check()
    expect(unknown).not_to_be_checked()
    expect(water).to_be_checked()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()
    assert saved()["usage_domaines"] == {"choices": ["eau"]}


def test_question_numbers_count_only_the_questions_shown(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    description = page.get_by_role("textbox", name="Décrivez vos projets.")
    expect(description).to_have_accessible_name("2. Décrivez vos projets.")
    page.get_by_label("Oui").check()
    expect(page.get_by_role("group", name="2. Dans quels domaines ?")).to_be_visible()
    expect(description).to_have_accessible_name("3. Décrivez vos projets.")
    page.get_by_label("Non").check()
    expect(description).to_have_accessible_name("2. Décrivez vos projets.")

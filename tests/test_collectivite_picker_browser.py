from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from survey.collectivites.search import load_collectivites

SAMPLE = Path(__file__).parent / "data" / "collectivites-sample.csv"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.picker_urls"),
]


@pytest.fixture
def picker_url(live_server):
    load_collectivites(SAMPLE)
    return f"{live_server.url}/essai/collectivite"


def assert_no_axe_violations(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def tab_to(page, selector, limit=15):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_combobox_is_usable_with_the_keyboard_alone_and_has_no_axe_violation(page, picker_url):
    page.goto(picker_url)
    combobox = page.get_by_role("combobox", name="Rechercher votre collectivité")
    listbox = page.get_by_role("listbox", name="Collectivités trouvées")
    status = page.locator("[data-picker-status]")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Rechercher")).to_be_hidden()  # no-JS fallback
    assert_no_axe_violations(page)

    tab_to(page, "[role=combobox]")
    page.keyboard.type("st denis")
    expect(listbox).to_be_visible()
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(combobox).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(status).to_have_text(
        "4 résultats : flèches haut et bas pour parcourir, Entrée pour choisir."
    )
    options = listbox.get_by_role("option")
    expect(options).to_have_count(4)
    expect(options.nth(0)).to_contain_text("La Réunion (974)")
    expect(options.nth(1)).to_contain_text("Seine-Saint-Denis (93)")

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(combobox).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    assert_no_axe_violations(page)  # with the list open and an option highlighted

    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps around to the last option
    expect(options.nth(3)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    assert combobox.get_attribute("aria-activedescendant") is None
    expect(combobox).to_have_value("st denis")

    page.keyboard.press("ArrowDown")  # reopens on the first option
    page.keyboard.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(page.locator("[data-picker-input]")).to_have_value("Saint-Denis")
    expect(page.locator("#id_collectivite")).to_have_value("929939411")
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Collectivité choisie : Saint-Denis — Seine-Saint-Denis (93)"
    )
    expect(status).to_have_text("Collectivité choisie : Saint-Denis — Seine-Saint-Denis (93).")
    assert page.url == picker_url  # Enter chose; it submitted nothing
    assert_no_axe_violations(page)

    tab_to(page, "button[type=submit]:not([form])")
    page.keyboard.press("Enter")
    expect(page.locator("#saved")).to_have_text("Enregistré : Saint-Denis — Seine-Saint-Denis (93)")


def test_typing_after_a_choice_clears_it_and_a_search_without_result_is_announced(page, picker_url):
    page.goto(picker_url)
    tab_to(page, "[role=combobox]")
    page.keyboard.type("42000")
    expect(page.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_collectivite")).to_have_value("214202186")
    expect(page.get_by_role("link", name="Changer de collectivité")).to_be_focused()

    page.keyboard.press("Enter")  # « Changer » brings the search box back
    page.keyboard.type("zz")
    expect(page.locator("#id_collectivite")).to_have_value("")
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Aucune collectivité choisie pour le moment."
    )
    expect(page.locator("[data-picker-status]")).to_have_text(
        "Aucune collectivité ne correspond à « Saint-Étiennezz »."
    )
    page.keyboard.press("Escape")
    expect(page.get_by_role("combobox")).to_have_value("")


def test_without_javascript_search_then_choose_brings_the_choice_back(browser, picker_url):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(picker_url)
    search_box = page.get_by_label("Rechercher votre collectivité")
    expect(search_box).not_to_have_attribute("role", "combobox")
    search_box.fill("saint denis")
    search_box.press("Enter")  # submits the separate GET form, not the page's POST form

    expect(page).to_have_title("Choisir votre collectivité — Observatoire Data Publica")
    expect(page.get_by_role("heading", level=2)).to_have_text("4 résultats pour « saint denis »")
    page.get_by_role("link", name="Saint-Denis — Seine-Saint-Denis (93)").click()

    assert page.url == f"{picker_url}?collectivite=929939411"
    expect(page.locator("[data-picker-chosen]")).to_have_text(
        "Collectivité choisie : Saint-Denis — Seine-Saint-Denis (93)"
    )
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#saved")).to_have_text("Enregistré : Saint-Denis — Seine-Saint-Denis (93)")
    context.close()


def test_the_no_javascript_results_page_has_no_axe_violation(page, picker_url, live_server):
    page.goto(f"{live_server.url}/collectivites/choisir?q=saint+denis&next=/essai/collectivite")
    expect(page.get_by_role("link", name="Saint-Denis — La Réunion (974)")).to_be_visible()
    assert_no_axe_violations(page)


def test_other_structure_errors_are_shown_next_to_their_fields(page, picker_url):
    page.goto(picker_url)
    page.get_by_text("Votre structure n’est pas dans la liste ?").click()
    page.get_by_label("Ma structure n’est pas dans la liste (autre structure)").check()
    page.get_by_label("SIREN de la structure").fill("123456789")
    page.get_by_role("button", name="Enregistrer").click()

    siren = page.get_by_label("SIREN de la structure")
    expect(siren).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_other_siren_error")).to_contain_text("Ce SIREN n’est pas valide")
    expect(page.locator("#id_other_name_error")).to_have_text("Indiquez le nom de votre structure.")
    assert "id_other_siren_error" in siren.get_attribute("aria-describedby")
    assert_no_axe_violations(page)


def test_a_choice_clears_the_error_and_shows_as_a_card_that_can_be_changed(page, picker_url):
    page.goto(picker_url)
    expect(page.get_by_role("group", name="Votre collectivité (obligatoire)")).to_be_visible()
    page.get_by_role("button", name="Enregistrer").click()
    combobox = page.locator("[data-picker-input]")
    error = page.locator("#id_collectivite_error")
    expect(error).to_contain_text("Choisissez votre collectivité")
    expect(combobox).to_have_attribute("aria-invalid", "true")

    combobox.fill("42000")
    page.get_by_role("option").first.click()
    expect(error).to_be_hidden()
    expect(combobox).not_to_have_attribute("aria-invalid", "true")
    assert "id_collectivite_error" not in (combobox.get_attribute("aria-describedby") or "")
    card = page.locator("[data-picker-card]")
    expect(card).to_contain_text("Collectivité choisie : Saint-Étienne")
    expect(combobox).to_be_hidden()  # the card replaces the search box
    assert_no_axe_violations(page)

    card.get_by_role("link", name="Changer de collectivité").click()
    expect(combobox).to_be_visible()
    expect(combobox).to_be_focused()
    combobox.fill("st denis")
    page.get_by_role("option").nth(1).click()
    expect(card).to_contain_text("Seine-Saint-Denis (93)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#saved")).to_have_text("Enregistré : Saint-Denis — Seine-Saint-Denis (93)")
    # Coming back with a saved choice shows the card, and the search box only on demand.
    expect(page.locator("[data-picker-card]")).to_be_visible()
    expect(combobox).to_be_hidden()


def test_an_unknown_collectivite_leaves_the_search_box_on_screen(page, picker_url):
    page.goto(f"{picker_url}?collectivite=999999999")
    expect(page.locator("[data-picker-card]")).to_be_hidden()
    expect(page.get_by_role("combobox", name="Rechercher votre collectivité")).to_be_visible()

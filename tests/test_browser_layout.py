"""Every page of the journey, with the real 2025 questionnaire, on a phone and on a desktop:
no sideways scrolling (WCAG 1.4.10), visible control boundaries (WCAG 1.4.11), axe green."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import CollectiviteFactory
from tests.helpers.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

# The contrast ratio of each visible, enabled form control's border against what is behind it.
BORDER_CONTRASTS = """() => {
  function rgb(colour) {
    const m = colour.match(/rgba?\\(([^)]+)\\)/);
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  }
  function luminance(c) {
    const lin = [c.r, c.g, c.b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }
  function backdrop(element) {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea");
  return Array.from(controls).filter((el) => !el.disabled && el.offsetParent !== null)
    .map((el) => {
      const style = getComputedStyle(el);
      const border = rgb(style.borderTopColor);
      const back = backdrop(el);
      const [hi, lo] = [luminance(border), luminance(back)].sort((a, b) => b - a);
      return {
        control: el.id || el.name, colour: style.borderTopColor,
        width: style.borderTopWidth, ratio: (hi + 0.05) / (lo + 0.05),
      };
    });
}"""


def assert_page_fits_and_controls_are_visible(page, width):
    assert_accessible(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width, f"{page.url} is {scroll_width}px wide at {width}px"
    faint = [c for c in page.evaluate(BORDER_CONTRASTS) if c["ratio"] < 3]
    assert not faint, f"{page.url}: control borders under 3:1: {faint}"


def reveal_every_conditional_question(page):
    """Tick the first choice of every visible question until no new question shows up, so
    that conditional questions are on screen too."""
    for _ in range(10):
        ticked = page.evaluate("""() => {
          let ticked = 0;
          document.querySelectorAll("#section-form .question").forEach((block) => {
            if (block.hidden) return;
            const inputs = block.querySelectorAll("input[type=radio], input[type=checkbox]");
            const names = new Set(Array.from(inputs).map((input) => input.name));
            names.forEach((name) => {
              const group = Array.from(inputs).filter((input) => input.name === name);
              if (group.some((input) => input.checked)) return;
              group[0].click();
              ticked += 1;
            });
          });
          return ticked;
        }""")
        if not ticked:
            return
    raise AssertionError("conditional questions keep appearing")


@pytest.fixture
def real_survey(db):
    load_questionnaire(QUESTIONNAIRES / "2023.toml")
    load_questionnaire(QUESTIONNAIRES / "2025.toml")
    edition = Edition.objects.get(year=2025)
    edition.opens_at = timezone.now() - datetime.timedelta(days=30)
    edition.closes_at = timezone.now() + datetime.timedelta(days=30)
    edition.save()
    CollectiviteFactory(name="Villeurbanne", siren="216902641", population=150000)
    return edition


@pytest.mark.parametrize("width", [320, 1280])
def test_every_journey_page_fits_the_screen_and_shows_its_controls(
    browser, live_server, real_survey, width
):
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()

    def check():
        assert_page_fits_and_controls_are_visible(page, width)

    page.goto(live_server.url)
    check()
    page.get_by_role("button", name="Commencer le questionnaire").click()
    check()  # the resume link page
    page.get_by_role("link", name="Commencer").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()  # with errors
    check()
    page.get_by_role("combobox", name="Rechercher votre collectivité").fill("villeurb")
    page.get_by_role("option", name="Villeurbanne").click()
    check()  # the picker with a collectivité chosen
    sections = list(real_survey.sections.order_by("position"))
    for section in sections:
        expect(page.get_by_role("heading", name=section.title)).to_be_visible()
        reveal_every_conditional_question(page)
        if section.slug == "profil":
            page.locator("[name=q-profil_nb_agents]").fill("250")
        check()
        page.get_by_role("button", name="Enregistrer et continuer").click()
        assert not page.locator("#error-summary").count(), page.locator(
            "#error-summary"
        ).text_content()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()
    check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    check()
    page.goto(f"{live_server.url}/reprendre/")
    check()

    real_survey.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    real_survey.save()
    for url in ("/", f"/questionnaire/{sections[1].slug}/", "/questionnaire/recapitulatif/"):
        page.goto(live_server.url + url)
        check()


def test_on_a_phone_the_start_button_is_on_the_first_screen(browser, live_server, real_survey):
    page = browser.new_context(viewport={"width": 375, "height": 667}).new_page()
    page.goto(live_server.url)
    button = page.get_by_role("button", name="Commencer le questionnaire")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 667, f"the button ends at {box['y'] + box['height']}px"
    # The introduction is still there, below.
    expect(page.get_by_role("heading", name="Qui peut répondre ?")).to_be_attached()
    expect(page.get_by_text("mesure chaque année la place de l’intelligence")).to_be_attached()


@pytest.mark.parametrize("width", [320, 1280])
def test_the_save_status_stays_on_screen_while_scrolling_a_long_page(
    browser, live_server, real_survey, width
):
    page = browser.new_context(viewport={"width": width, "height": 640}).new_page()
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    page.goto(f"{live_server.url}/questionnaire/organisation/")
    first_choice = page.locator("#section-form .question input[type=radio]").first
    first_choice.check()
    status = page.get_by_role("status").filter(has_text="Enregistré à")
    expect(status).to_have_count(1)  # one live region says it, once
    expect(status).to_be_in_viewport(ratio=1)
    choice_box, status_box = first_choice.bounding_box(), status.bounding_box()
    assert choice_box["y"] + choice_box["height"] <= status_box["y"], "the status hides a choice"
    expect(page.get_by_role("button", name="Enregistrer et continuer")).not_to_be_in_viewport()
    page.mouse.wheel(0, 1500)
    expect(status).to_be_in_viewport(ratio=1)
    assert_page_fits_and_controls_are_visible(page, width)


@pytest.mark.parametrize("width", [320, 1280])
def test_a_matrix_is_a_table_on_wide_screens_and_one_group_per_row_on_narrow_ones(
    browser, live_server, real_survey, width
):
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    page.goto(f"{live_server.url}/questionnaire/usages/")
    matrix = page.locator("#question-usage_feuille_de_route")
    header = matrix.get_by_role("columnheader", name="Non, mais c’est prévu dans les 12")
    row = matrix.get_by_role("row", name="Évaluer les résultats d’un projet d’IA")
    choice = row.get_by_role("radio", name="Non, mais c’est prévu dans les 12")
    # Each radio says which row it answers, whatever the layout.
    expect(choice).to_have_accessible_name(
        "Évaluer les résultats d’un projet d’IA : Non, mais c’est prévu dans les 12 prochains mois"
    )
    label = row.get_by_text("Non, mais c’est prévu dans les 12 prochains mois")
    if width >= 992:
        expect(header).to_be_visible()
        assert label.bounding_box()["width"] <= 1  # the column header says it
        choice_box, header_box = choice.bounding_box(), header.bounding_box()
        assert header_box["x"] <= choice_box["x"] <= header_box["x"] + header_box["width"]
    else:
        expect(header).to_be_hidden()
        expect(label).to_be_visible()
    choice.check()
    expect(choice).to_be_checked()
    assert_page_fits_and_controls_are_visible(page, width)

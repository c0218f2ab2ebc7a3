"""Helpers shared by the browser tests (Playwright)."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from survey.collection.models import Response

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]


def assert_accessible(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def resume_href(page):
    return page.get_by_test_id("resume-link").get_attribute("href")


def saved(response_qs=None):
    response = Response.objects.get()
    return {a.question.code: a.value for a in response.answers.select_related("question")}


def start(page, live_server, email=""):
    page.goto(live_server.url)
    if email:
        page.get_by_label("Votre adresse électronique (facultatif)").fill(email)
    page.get_by_role("button", name="Commencer le questionnaire").click()
    expect(page.get_by_test_id("resume-link")).to_be_visible()
    return resume_href(page)


def pick_collectivite(page, typed="villeurb", name="Villeurbanne"):
    page.get_by_role("combobox", name="Rechercher votre collectivité").fill(typed)
    page.get_by_role("option", name=name).click()
    expect(page.locator("[data-picker-chosen]")).to_contain_text(name)


def fill_profile(page):
    pick_collectivite(page)
    page.get_by_label("Dsi").check()
    page.get_by_label("Combien d’agents compte votre collectivité").fill("250")


PASSWORD = "un mot de passe assez long"


def open_page(browser, width, java_script=True):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=java_script
    )
    page = context.new_page()
    page.blocked = []
    page.on(
        "console",
        lambda m: page.blocked.append(m.text) if "Content Security" in m.text else None,
    )
    return page


def row(table, header):
    """The row of a table whose header cell is exactly `header`."""
    return table.locator("tr", has=table.page.get_by_role("rowheader", name=header, exact=True))


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= page.evaluate("window.innerWidth"), f"{scroll_width}px at {width}px"

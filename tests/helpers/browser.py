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


# Which figures a reader cannot read on this screen: a table cell out of the window or behind a
# sideways scroll, a chart's label or figure (or a table's text) smaller than the smallest text
# of the page's paragraphs, a page wider than the window.
_UNREADABLE_FIGURES = """() => {
  const problems = [];
  const width = window.innerWidth;
  const visible = (element) => element.getClientRects().length > 0
    && getComputedStyle(element).visibility !== "hidden";
  const size = (element) => parseFloat(getComputedStyle(element).fontSize);
  const paragraphs = [...document.querySelectorAll("main p")]
    .filter((p) => visible(p) && !p.closest(".visually-hidden") && p.textContent.trim());
  const smallest = Math.min(...paragraphs.map(size));
  if (document.documentElement.scrollWidth > width) {
    problems.push(`page ${document.documentElement.scrollWidth}px wide in ${width}px`);
  }
  for (const table of document.querySelectorAll("main table")) {
    const name = (table.caption ? table.caption.textContent : "table").trim().slice(0, 60);
    const box = table.parentElement;
    if (box.scrollWidth > box.clientWidth + 1) {
      problems.push(`${name}: scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
    }
    for (const cell of table.querySelectorAll("tbody th, tbody td")) {
      const rect = cell.getBoundingClientRect();
      if (!visible(cell) || rect.right > width + 1 || rect.left < -1) {
        problems.push(`${name}: cell « ${cell.textContent.trim().slice(0, 30)} » hidden`);
      } else if (size(cell) < smallest) {
        problems.push(`${name}: cell text ${size(cell)}px < ${smallest}px`);
      }
    }
  }
  for (const text of document.querySelectorAll(".results-bar__label, .results-bar__value")) {
    const rect = text.getBoundingClientRect();
    if (!visible(text) || rect.right > width + 1) {
      problems.push(`chart label « ${text.textContent.trim().slice(0, 30)} » hidden`);
    } else if (size(text) < smallest) {
      problems.push(`chart label « ${text.textContent.trim().slice(0, 30)} » ${size(text)}px`);
    }
  }
  if (document.querySelector("main svg text")) problems.push("text drawn inside an SVG");
  return problems;
}"""


def unreadable_figures(page):
    """What the reader of `page` cannot read of its tables and charts (empty when all is)."""
    return page.evaluate(_UNREADABLE_FIGURES)

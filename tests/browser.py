"""Helpers shared by the browser tests."""

from axe_playwright_python.sync_playwright import Axe

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]


def assert_accessible(page):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def resume_href(page):
    return page.get_by_test_id("resume-link").get_attribute("href")

"""Citizens and collectivités side by side in a real browser: from the results pages to the
crossed pages, both sides' bars with their whiskers, the table, axe and the HTML checker."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect
from time_machine import escape_hatch

from results.models import Publication
from tests.helpers.browser import assert_accessible, unreadable_figures
from tests.helpers.html import nu_problems
from tests.helpers.poll import BEFORE, real_margins, weigh_both_sides

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"


@pytest.fixture
def both_sides(time_machine, tmp_path):
    time_machine.move_to(BEFORE, tick=False)
    return weigh_both_sides(time_machine, tmp_path)


def expect_both_sides_drawn(page):
    """The bias row: both sides' bars, each with its whisker, and the figures in the table."""
    chart = page.get_by_role("img", name=re.compile("^Biais et discriminations"))
    expect(chart).to_have_attribute("class", "results-chart")
    expect(chart).to_have_accessible_name(re.compile("intervalle de confiance à 95 %"))
    labels = chart.locator(".results-bar__label")
    expect(labels.filter(has_text="Très préoccupant — citoyens")).to_have_count(1)
    expect(labels.filter(has_text="Très préoccupant — collectivités")).to_have_count(1)
    expect(chart.locator("rect[fill='#a8470a']")).not_to_have_count(0)  # citizens' bars
    expect(chart.locator("rect[fill='#1f5fa0'], rect[fill='#7ea6cf']")).not_to_have_count(0)
    # Every drawn bar has its whisker: three lines (bar, two ends).
    bars = chart.locator("rect").count()
    assert chart.locator("line").count() == 3 * bars
    table = page.locator("[data-testid=crossing-table]", has_text="Biais et discriminations")
    row = table.locator("tr", has=page.locator("th", has_text="Très préoccupant"))
    expect(row).to_contain_text("50,0 %")  # 30 of the 60 citizens
    expect(row).to_contain_text("66,7 %")  # 40 of the 60 collectivités


def test_staff_and_public_follow_the_links_to_both_sides_bars(
    both_sides,
    page,
    live_server,
    settings,
    time_machine,
    tmp_path,
):
    _, barometer = both_sides
    # Back to the real clock, ticking: the browser dates the session cookie by it.
    time_machine.move_to(escape_hatch.datetime.datetime.now(datetime.UTC), tick=True)
    settings.ADMIN_OTP_REQUIRED = False
    User.objects.create_superuser("equipe", password=PASSWORD)
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("equipe")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.goto(f"{live_server.url}/admin/resultats/?edition=2025")
    page.get_by_role("link", name="Citoyens et collectivités côte à côte").click()
    expect(page).to_have_url(f"{live_server.url}/admin/poll/participation/croisement/2025/")
    expect_both_sides_drawn(page)
    assert "Pour vérifier votre attention" not in page.content()
    assert_accessible(page)
    staff_html = page.content()

    page.goto(f"{live_server.url}/resultats/2025/")
    page.get_by_role("link", name="Citoyens et collectivités : regards croisés").click()
    expect(page).to_have_url(f"{live_server.url}/resultats/2025/citoyens-et-collectivites/")
    expect_both_sides_drawn(page)
    assert_accessible(page)
    assert unreadable_figures(page) == []
    page.get_by_label("Domaine").select_option("Région Bretagne")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("crossing-domain")).to_have_text("Région Bretagne")
    expect_both_sides_drawn(page)

    problems = nu_problems(
        [("staff-crossing", staff_html), ("public-crossing", page.content())], tmp_path
    )
    assert problems == []


def test_staff_see_the_test_margins_banner_and_the_public_reads_why_citizens_are_not_shown(
    both_sides,
    page,
    live_server,
    settings,
    time_machine,
    tmp_path,
):
    poll, barometer = both_sides
    time_machine.move_to(escape_hatch.datetime.datetime.now(datetime.UTC), tick=True)
    settings.ADMIN_OTP_REQUIRED = False
    User.objects.create_superuser("equipe", password=PASSWORD)
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )
    # The weights now rest on margins marked as test data (and the crossing is stored again).
    call_command("load_poll_margins", "--edition", "2025", "--test", str(real_margins(tmp_path)))
    poll.margins.exclude(category__in=["age_25_34:femme", "bretagne", "moins_3500"]).delete()
    call_command("weigh_poll", "--edition", "2025")

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("equipe")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    for path in ["/admin/poll/weightingrun/", "/admin/poll/participation/croisement/2025/"]:
        page.goto(f"{live_server.url}{path}")
        banner = page.get_by_test_id("test-margins-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("reposent sur des marges de test")
        assert_accessible(page)
    staff_html = page.content()

    page.goto(f"{live_server.url}/resultats/2025/citoyens-et-collectivites/")
    refusal = page.get_by_test_id("citizens-not-published")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("chiffres de population fictifs")
    table = page.locator("[data-testid=crossing-table]", has_text="Biais et discriminations")
    row = table.locator("tr", has=page.locator("th", has_text="Très préoccupant"))
    expect(row).to_contain_text("66,7 %")  # the collectivités' side
    expect(row).not_to_contain_text("50,0 %")  # not the citizens'
    assert_accessible(page)

    problems = nu_problems(
        [("staff-test-margins", staff_html), ("public-test-margins", page.content())], tmp_path
    )
    assert problems == []

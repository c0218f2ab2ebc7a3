"""The public results as `make run` ships them, read on a phone (320 px) and a desktop: every
chart label and table cell readable (no column off-screen, no text smaller than the page's),
and a journalist who opens a figure's own page, copies « Citer ce chiffre » and downloads the
published figures. The database is loaded as `make run` loads it, with seeded responses."""

import csv
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from results.models import Publication
from survey.questionnaire.models import BAROMETER_SURVEY, Edition
from tests.helpers.browser import assert_accessible, open_page, unreadable_figures
from tests.shipped import load_commands, seed_and_compute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def load_shipped_with_results():
    """`make load`, 400 seeded responses and their results, every question published."""
    for command in load_commands():
        call_command(*command, verbosity=0)
    seed_and_compute()
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    Publication.objects.bulk_create(
        Publication(edition=edition, question=question)
        for question in edition.questions.all()
        if not question.kind_class.free_text
    )
    return edition


def test_every_public_figure_reads_on_a_phone_and_a_desktop_and_each_can_be_cited(
    browser, live_server, settings
):
    settings.SITE_URL = live_server.url
    load_shipped_with_results()  # once for both widths: transactional tests empty the database
    pages = [
        "/resultats/2025/",
        "/resultats/2025/?domaine=type%3Aepci",
        "/resultats/2025/methodologie/",
        "/resultats/2025/evolution/",
        "/resultats/2023/",
        "/resultats/2023/methodologie/",
    ]
    for width in (320, 1280):
        page = open_page(browser, width)
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert unreadable_figures(page) == [], (path, width)
        page.goto(f"{live_server.url}/resultats/2025/")
        assert_accessible(page)
        function = page.get_by_role("table", name=re.compile("^Quelle est votre fonction"))
        expect(function.get_by_role("cell", name="Fiable").first).to_be_visible()
        chart = page.get_by_role("img", name=re.compile("^Quelle est votre fonction"))
        expect(chart.locator(".results-bar__label").first).to_have_text("Direction générale")
        if width == 320 and os.environ.get("SAVE_SCREENSHOTS"):  # docs/screenshots, on demand
            page.locator("section", has=chart).screenshot(path=SCREENSHOTS / "results-phone.png")

        # A journalist opens a figure, reads how to cite it, and follows it back.
        function.get_by_role("link", name=re.compile("^Direction générale")).click()
        expect(page).to_have_url(
            f"{live_server.url}/resultats/2025/chiffres/toutes/profil_fonction/direction_generale/"
        )
        citation = page.get_by_test_id("citation")
        text = citation.inner_text().replace("\u202f", " ").replace("\u00a0", " ")
        assert re.match(
            r"^« Quelle est votre fonction \? » — « Direction générale » : \d+,\d % "
            r"\(intervalle de confiance à 95 % : \[\d+,\d ; \d+,\d\]\)\. "
            r"Toutes collectivités, base : 400 répondants dont \d+ pour cette réponse, "
            r"estimation pondérée\. Source : Observatoire Data Publica, Baromètre 2025 ",
            text,
        ), text
        expect(citation).to_contain_text(page.url)
        assert_accessible(page)
        assert unreadable_figures(page) == []
        if width == 1280 and os.environ.get("SAVE_SCREENSHOTS"):
            page.locator("main").screenshot(path=SCREENSHOTS / "figure-citation.png")

        with page.expect_download() as download:
            page.get_by_role("link", name="télécharger le fichier CSV").click()
        assert download.value.suggested_filename == "chiffres-publies-2025.csv"
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {row["fiabilite"] for row in rows} <= {"publie", "prudence"}
        assert any(
            row["question"] == "profil_fonction"
            and row["domaine"] == "toutes"
            and row["option"] == "direction_generale"
            for row in rows
        )
        page.get_by_role("link", name=re.compile("^Retour aux résultats 2025")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Résultats du")

"""A reader in a real browser, on a phone and a desktop, reads 2023's re-estimated figures
beside the « Total pondéré » of 2023, changes the domain, and reads the 2023 methodology; axe
and the Nu checker find nothing. The database is loaded as `make run` loads it."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import (
    assert_accessible,
    assert_fits,
    open_page,
    row,
    unreadable_figures,
)
from tests.helpers.html import nu_problems
from tests.helpers.results import load_as_make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEIGHTED_TOTAL = re.compile(
    r"^Total pondéré publié en 2023 \(collectivités de 3\s500 habitants ou plus, règle de 2023\)$"
)
RGPD = re.compile("^Afin de respecter le RGPD")


def test_a_reader_reads_2023_and_its_methodology_on_a_phone_and_a_desktop(
    browser, live_server, tmp_path
):
    # One load for both widths: transactional tests empty the database after each test.
    load_as_make_run()
    pages = []
    for width in (320, 1280):
        page = open_page(browser, width, java_script=False)
        page.goto(f"{live_server.url}/resultats/2023/")
        expect(
            page.get_by_role("heading", level=1, name=re.compile("^Résultats de l’édition 2023"))
        ).to_be_visible()
        table = page.get_by_role("table", name=RGPD)
        expect(table.get_by_role("columnheader", name=WEIGHTED_TOTAL)).to_be_visible()
        oui = row(table, "Oui")
        expect(oui).to_contain_text("Non publié")
        expect(oui.get_by_role("cell").last).to_have_text(re.compile(r"^43\s%$"))
        assert_fits(page, width)
        assert unreadable_figures(page) == []
        pages.append((f"past-{width}", page.content()))

        page.get_by_label("Collectivités concernées").select_option("Régions")
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_role("heading", level=2, name="Régions", exact=True)).to_be_visible()
        expect(page.get_by_role("table", name=RGPD).get_by_role("columnheader")).to_have_count(6)
        assert_fits(page, width)
        assert unreadable_figures(page) == []

        page.get_by_role("link", name=re.compile("^Méthodologie 2023")).click()
        expect(
            page.get_by_role("heading", level=1, name="Méthodologie des résultats 2023")
        ).to_be_visible()
        totals = page.get_by_role("table", name=re.compile("^Votre structure.*totaux publiés"))
        expect(row(totals, "Oui").get_by_role("cell")).to_have_text(["27", "28", "9"])
        expect(
            page.get_by_role("heading", name="Pourquoi les deux chiffres diffèrent")
        ).to_be_visible()
        assert_fits(page, width)
        assert unreadable_figures(page) == []
        pages.append((f"past-methodology-{width}", page.content()))
        assert page.blocked == []

        # axe runs as a script: both pages again in a browser that runs scripts.
        checked = open_page(browser, width)
        for path in ["/resultats/2023/", "/resultats/2023/methodologie/"]:
            checked.goto(f"{live_server.url}{path}")
            assert_accessible(checked)
            assert_fits(checked, width)
            assert unreadable_figures(checked) == []
        assert checked.blocked == []
    assert nu_problems(pages, tmp_path) == []

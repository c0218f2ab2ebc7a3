"""The coverage page in a real browser, as the Observatoire team sees it."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from results.models import Frame
from survey.enums import ResponseStatus
from tests.factories import CollectiviteFactory, EditionFactory, ResponseFactory
from tests.helpers.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "un mot de passe assez long"


@pytest.mark.parametrize("width", [320, 1280])
def test_the_observatoire_team_reads_the_coverage_page_on_a_phone_and_a_desktop(
    browser, live_server, settings, width
):
    settings.ADMIN_OTP_REQUIRED = False
    user = User.objects.create_user("analyste", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    edition = EditionFactory(year=2025)
    villages = [
        CollectiviteFactory(name=f"Village {n}", population=800, region_name="Auvergne-Rhône-Alpes")
        for n in range(3)
    ]
    Frame.freeze(edition)
    for day, village in enumerate(villages[:2], start=2):
        ResponseFactory(
            edition=edition,
            collectivite=village,
            status=ResponseStatus.SUBMITTED,
            submitted_at=datetime.datetime(2025, 6, day, 11, tzinfo=zoneinfo.ZoneInfo("UTC")),
        )
    ResponseFactory(edition=edition, other_structure_name="Syndicat mixte du numérique")

    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("analyste")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.get_by_role("link", name="Suivi de la collecte").first.click()

    expect(page.get_by_role("heading", name="Suivi de la collecte")).to_be_visible()
    table = page.get_by_role("table", name="Couverture par strate")
    expect(table).to_be_attached()
    expect(
        table.get_by_role("row", name="Communes de moins de 3 500 habitants").get_by_role("cell")
    ).to_have_text(["3", "2", "0", "2", "66,7 %", "66,7 %", "Atteint"])
    expect(table.get_by_role("row", name="Autre structure")).to_contain_text("hors pondération")
    expect(
        page.get_by_role("img", name="Réponses commencées et envoyées par jour")
    ).to_be_attached()
    expect(page.get_by_role("table", name="Réponses par jour")).to_be_attached()

    page.get_by_label("Taux de réponse visé (%)").fill("80")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("row", name="Communes de moins de 3 500 habitants")).to_contain_text(
        "Sous l’objectif"
    )
    page.get_by_label("Détail par").select_option("Région")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("table", name="Couverture par région")).to_contain_text(
        "Auvergne-Rhône-Alpes"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le tableau").click()
    assert download.value.suggested_filename == "suivi-collecte-2025.csv"

    assert_accessible(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= page.evaluate("window.innerWidth"), f"{scroll_width}px at {width}px"
    assert not blocked, blocked

"""The staff's list of responses, on a database loaded as `make run` loads it."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from survey.collectivites.models import Collectivite
from survey.enums import CollectiviteKind
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import ResponseFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survey_response_changelist")
QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"
# What a list of a dozen responses and its filters may weigh; it weighed 3 MB with one filter
# line per collectivité.
HTML_BUDGET = 150_000
PASSWORD = "un mot de passe assez long"


@pytest.fixture
def shipped_list():
    for name in ["2023.toml", "2025.toml", "citoyens-2025.toml"]:
        load_questionnaire(QUESTIONNAIRES / name)
    call_command("load_collectivites", verbosity=0)
    edition = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    for collectivite in Collectivite.objects.filter(kind=CollectiviteKind.REGION)[:12]:
        ResponseFactory(edition=edition, collectivite=collectivite)
    return edition


def region_options(html):
    """The links of the « région » filter, after its title."""
    block = html.split("Par région", 1)[1].split("</ul>", 1)[0]
    return re.findall(r"collectivite__region_code=(\w+)", block)


def test_the_region_filter_lists_each_region_once_and_the_page_stays_small(client, shipped_list):
    assert Collectivite.objects.count() > 30_000
    client.force_login(User.objects.create_superuser("admin"))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    options = region_options(html)
    regions = set(
        Collectivite.objects.exclude(region_code="").values_list("region_code", flat=True)
    )
    assert sorted(options) == sorted(regions)
    # The 18 régions and the 8 collectivités d'outre-mer the official list files as their own
    # « région »: 26 lines, where there were 35,579.
    assert len(options) <= 30
    assert "Auvergne-Rhône-Alpes" in html.split("Par région", 1)[1].split("</ul>", 1)[0]
    assert len(response.content) < HTML_BUDGET


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_responses_list_stays_a_page_long_on_a_phone_and_a_laptop(
    browser, live_server, settings
):
    settings.ADMIN_OTP_REQUIRED = False
    call_command("load_collectivites", verbosity=0)
    User.objects.create_superuser("chef", password=PASSWORD)
    for width in [320, 1280]:
        page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
        page.goto(f"{live_server.url}/admin/")
        page.get_by_label("Nom d’utilisateur").fill("chef")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.locator("#login-form [type=submit]").click()
        page.goto(live_server.url + CHANGELIST)
        filters = page.locator("#changelist-filter")
        expect(filters.get_by_role("link", name="Auvergne-Rhône-Alpes")).to_have_count(1)
        # It was 784,000 px tall: one line per collectivité in the « région » filter.
        assert page.evaluate("document.documentElement.scrollHeight") < 12_000
        page.context.close()

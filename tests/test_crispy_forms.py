"""The ordinary forms (start, resume by email, access request, export options) are rendered by
crispy-forms, with their labels, hints and errors tied to their fields."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.helpers.browser import assert_accessible

VILLEURBANNE = "216902641"


def email_input(html):
    return re.search(r'<input type="email"[^>]*>', html).group()


def assert_crispy_email_field(html, *, hint, error=None):
    assert 'id="div_id_email"' in html  # crispy's wrapper
    assert '<label for="id_email"' in re.sub(r"\s+", " ", html.replace("<label\n", "<label "))
    field = email_input(html)
    assert 'autocomplete="email"' in field
    described = re.search(r'aria-describedby="([^"]*)"', field)
    described_by = described.group(1).split() if described else []
    if hint:
        assert "id_email_helptext" in described_by and 'id="id_email_helptext"' in html
    if error:
        assert "id_email_error" in described_by and 'aria-invalid="true"' in field
        error_block = html.split('id="id_email_error"', 1)[1].split("</div>", 1)[0]
        assert error in error_block
    else:
        assert 'aria-invalid="true"' not in field


@pytest.fixture
def taken(small_survey):
    """A collectivité someone else already answers for, and a newcomer's browser."""
    first, newcomer = Client(), Client()
    for browser in (first, newcomer):
        browser.post(reverse("start"))
    first.post(
        reverse("section", args=["profil"]), {"collectivite": VILLEURBANNE, "action": "later"}
    )
    return newcomer


@pytest.mark.django_db
def test_the_start_form_is_rendered_by_crispy_with_its_hint(client, small_survey):
    assert_crispy_email_field(client.get(reverse("home")).content.decode(), hint=True)


@pytest.mark.django_db
def test_the_resume_by_email_form_ties_its_error_to_the_field(client, small_survey):
    assert_crispy_email_field(client.get(reverse("resume_by_email")).content.decode(), hint=False)
    page = client.post(reverse("resume_by_email"), {"email": "pas une adresse"})
    assert_crispy_email_field(page.content.decode(), hint=False, error="adresse")


@pytest.mark.django_db
def test_the_access_request_form_ties_its_hint_and_error_to_the_field(taken):
    url = reverse("request_access", args=[VILLEURBANNE])
    assert_crispy_email_field(taken.get(url).content.decode(), hint=True)
    page = taken.post(url, {"email": ""})
    assert_crispy_email_field(page.content.decode(), hint=True, error="obligatoire")


@pytest.mark.django_db
def test_the_export_options_are_rendered_by_crispy_with_their_hints(client, small_survey):
    client.force_login(User.objects.create_superuser("admin"))
    html = client.get(reverse("admin:survey_response_export")).content.decode()
    assert 'id="div_id_format"' in html and 'id="div_id_bom"' in html
    assert re.search(
        r'<input type="checkbox" name="bom"[^>]*aria-describedby="id_bom_helptext"', html
    )
    page = client.post(reverse("admin:survey_response_export"), {"format": "pdf"})
    html = page.content.decode()
    assert re.search(r'<select name="format"[^>]*aria-invalid="true"', html)
    assert "Sélectionnez un choix valide" in html.split('id="id_format_error"', 1)[1]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_forms_rendered_by_crispy_are_accessible_with_and_without_errors(
    page, live_server, small_survey
):
    page.goto(f"{live_server.url}/reprendre/")
    page.get_by_role("button", name="Recevoir mes liens").click()
    expect(page.get_by_label("Votre adresse électronique")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(page)

    User.objects.create_superuser("analyste", password="un mot de passe assez long")
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Nom d’utilisateur").fill("analyste")
    page.get_by_label("Mot de passe").fill("un mot de passe assez long")
    page.get_by_label("Mot de passe").press("Enter")
    expect(page.get_by_role("link", name="Réponses").first).to_be_visible()
    page.goto(live_server.url + reverse("admin:survey_response_export"))
    expect(page.get_by_label("Format")).to_be_visible()
    expect(page.get_by_label("Libellés au lieu des codes")).to_have_accessible_description(
        re.compile("CSV et Excel")
    )
    assert_accessible(page)

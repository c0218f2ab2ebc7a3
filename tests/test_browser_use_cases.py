"""The public catalogue of use cases in a real browser: accessible, searched without script."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from survey.collection.models import Answer
from tests.factories import CollectiviteFactory
from tests.helpers.browser import assert_accessible
from tests.helpers.use_cases import make_edition, project
from tests.sample import submitted
from usecases.models import UseCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(db):
    edition = make_edition()
    edition.closes_at = timezone.now() - datetime.timedelta(days=1)
    edition.opens_at = edition.closes_at - datetime.timedelta(days=30)
    edition.save()
    group = edition.questions.get()
    for name, items in [
        ("Lyon", [project("Chatbot", description="Répond aux usagers")]),
        ("Gironde", [project("Covoiturage", domaine="mobilite")]),
    ]:
        response = submitted(edition, collectivite=CollectiviteFactory(name=name))
        Answer.objects.create(response=response, question=group, value=group.clean_answer(items))
    UseCase.objects.sync(edition)
    for use_case in UseCase.objects.all():
        use_case.validate_for_catalogue()
        use_case.save()
    return edition


@pytest.mark.parametrize("javascript", [True, False])
def test_the_catalogue_is_filtered_and_searched_and_accessible(
    browser, live_server, published, javascript
):
    page = browser.new_context(java_script_enabled=javascript).new_page()
    page.goto(live_server.url + "/cas-usage/2025/")
    expect(page.get_by_role("heading", name="Chatbot")).to_be_visible()
    expect(page.get_by_role("heading", name="Covoiturage")).to_be_visible()
    if javascript:
        assert_accessible(page)
    page.get_by_label("Domaine").select_option(label="Mobilité")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Covoiturage")).to_be_visible()
    expect(page.get_by_role("heading", name="Chatbot")).to_have_count(0)
    page.get_by_label("Domaine").select_option(label="Tous les domaines")
    page.get_by_role("searchbox", name="Rechercher").fill("usagers")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Chatbot")).to_be_visible()
    expect(page.get_by_text("1 projet sur 2.")).to_be_visible()
    if javascript:
        assert_accessible(page)

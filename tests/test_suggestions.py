"""A collectivité that answered last year starts from its answers to the questions that continue
identically: shown as suggestions to confirm, saved only with their page, never sent unseen."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from survey.collection.models import Answer, Response
from survey.enums import Lineage, QuestionKind, ResponseStatus
from survey.models import Collectivite
from tests.factories import EditionFactory, QuestionFactory, ResponseFactory, SectionFactory
from tests.helpers.browser import assert_accessible, fill_profile
from tests.helpers.browser import start as browser_start
from tests.helpers.journey import VILLEURBANNE, answers, save, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year(small_survey):
    """The previous edition, where Villeurbanne sent its answers."""
    earlier = EditionFactory(
        year=2024,
        opens_at=timezone.now() - datetime.timedelta(days=400),
        closes_at=timezone.now() - datetime.timedelta(days=300),
    )
    section = SectionFactory(edition=earlier, position=1, slug="usages")
    questions = {
        code: QuestionFactory(section=section, edition=earlier, code=code, kind=kind, **extra)
        for code, kind, extra in [
            ("usage_ia", QuestionKind.SINGLE_CHOICE, {"choices": ["oui", "non", "nsp"]}),
            ("profil_fonction", QuestionKind.SINGLE_CHOICE, {"choices": ["direction", "dsi"]}),
            ("profil_agents", QuestionKind.INTEGER, {}),
        ]
    }
    current = {q.code: q for q in small_survey.questions.all()}
    # Identical and public: suggested. Identical but about the person: never. Reworded: never.
    for code, lineage in [
        ("usage_ia", Lineage.IDENTICAL),
        ("profil_fonction", Lineage.IDENTICAL),
        ("profil_agents", Lineage.REWORDED),
    ]:
        current[code].lineage, current[code].continues = lineage, questions[code]
        current[code].save()
    small_survey.questions.filter(code="profil_fonction").update(open_data=False)
    sent = ResponseFactory(
        edition=earlier,
        collectivite=Collectivite.objects.get(siren=VILLEURBANNE),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=350),
    )
    for code, value in [
        ("usage_ia", {"choice": "oui"}),
        ("profil_fonction", {"choice": "dsi"}),
        ("profil_agents", 1200),
    ]:
        Answer.objects.create(response=sent, question=questions[code], value=value)
    return earlier


def test_choosing_the_collectivite_suggests_last_years_public_answers_to_identical_questions(
    client, last_year
):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction"})
    response.refresh_from_db()
    assert response.suggestions == {"usage_ia": {"choice": "oui"}}


def test_a_suggestion_is_shown_checked_and_marked_but_is_not_an_answer(client, last_year):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction"})
    page = client.get(reverse("section", args=["usages"]))
    html = page.content.decode()
    assert 'id="suggestions-note"' in html
    assert "Réponse reprise de l’édition précédente" in html
    oui = re.search(r'<input[^>]*name="q-usage_ia"[^>]*value="oui"[^>]*>', html).group()
    assert "checked" in oui
    assert "usage_ia" not in answers(response)
    # Sending now is refused: the required question is still unanswered.
    sent = client.post(reverse("review"))
    assert sent.status_code == 422 and sent.context["missing_count"] >= 1


def test_saving_the_page_makes_the_suggestion_an_answer_and_forgets_it(client, last_year):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction"})
    save(client, "usages", {"q-usage_ia": "oui", "q-usage_domaines": "eau"}, action="later")
    response.refresh_from_db()
    assert answers(response)["usage_ia"] == {"choice": "oui"}
    assert response.suggestions == {}


def test_a_suggestion_set_aside_does_not_come_back(client, last_year):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction"})
    save(client, "usages", {}, action="later")
    response.refresh_from_db()
    assert "usage_ia" not in answers(response) and response.suggestions == {}
    page = client.get(reverse("section", args=["usages"]))
    assert 'id="suggestions-note"' not in page.content.decode()


def test_an_autosave_of_another_question_keeps_the_suggestion_unsaved(client, last_year):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction"})
    result = client.post(reverse("autosave", args=["usages"]), {"q-usage_description": "Un projet"})
    assert result.json()["saved"]
    response.refresh_from_db()
    assert "usage_ia" not in answers(response)
    assert response.suggestions == {"usage_ia": {"choice": "oui"}}


def test_a_collectivite_that_did_not_answer_last_year_gets_no_suggestion(client, last_year):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "direction", "collectivite": "216902567"})
    response.refresh_from_db()
    assert response.suggestions == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_respondent_confirms_last_years_answer_in_a_browser(page, live_server, last_year):
    browser_start(page, live_server)
    page.get_by_role("link", name="Commencer").click()
    fill_profile(page)  # Villeurbanne, which answered last year
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    expect(page.locator("#suggestions-note")).to_be_visible()
    usage = page.locator("#question-usage_ia")
    expect(usage).to_contain_text("Réponse reprise de l’édition précédente")
    expect(usage.get_by_label("Oui")).to_be_checked()
    assert_accessible(page)
    assert answers(Response.objects.get(edition__year=2025)) == {
        "profil_fonction": {"choice": "dsi"},
        "profil_agents": 250,
    }
    page.get_by_label("Eau").check()  # shown live: « Oui » is checked
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()
    response = Response.objects.get(edition__year=2025)
    assert answers(response)["usage_ia"] == {"choice": "oui"}
    assert response.suggestions == {}

import pytest
from django.urls import reverse

from survey.collection.journey import (
    CollectiviteStep,
    Journey,
    ReviewStep,
    SectionStep,
    SentStep,
)
from survey.collectivites.models import Collectivite
from tests.factories import ResponseFactory
from tests.sample import answer

pytestmark = pytest.mark.django_db

# A second audience: a citizens' poll asks no collectivité.
CITIZENS = (SectionStep, ReviewStep, SentStep)


def slugs(steps):
    return [step.section.slug if isinstance(step, SectionStep) else type(step) for step in steps]


def test_the_collectivites_journey_chooses_the_collectivite_then_each_page_then_review_and_sent(
    small_survey,
):
    journey = Journey.for_collectivites(ResponseFactory(edition=small_survey))
    assert slugs(journey.steps) == [CollectiviteStep, "profil", "usages", ReviewStep, SentStep]


def test_the_collectivite_is_chosen_on_the_first_page_which_has_no_previous_page(small_survey):
    journey = Journey.for_collectivites(ResponseFactory(edition=small_survey))
    profil, usages = journey.section_steps
    assert journey.page_showing(CollectiviteStep) is profil
    assert journey.shown_on(profil) == [journey.steps[0]]
    assert journey.shown_on(usages) == []
    assert journey.steps[0].url() == reverse("section", args=["profil"])
    assert journey.previous(profil) is None
    assert journey.previous(usages) is profil


def test_steps_are_numbered_like_the_pages_and_the_last_page_leads_to_the_review(small_survey):
    journey = Journey.for_collectivites(ResponseFactory(edition=small_survey))
    profil, usages = journey.section_steps
    assert journey.count == 2
    assert [journey.position(profil), journey.position(usages)] == [1, 2]
    assert [journey.percent_before(profil), journey.percent_before(usages)] == [0, 50]
    assert journey.next(profil) is usages
    assert isinstance(journey.next(usages), ReviewStep)
    assert journey.next(usages).url() == reverse("review")


def test_a_response_without_a_collectivite_resumes_on_the_first_page_even_if_it_is_complete(
    small_survey,
):
    response = ResponseFactory(edition=small_survey, completed_sections=["profil"])
    answer(response, "profil_fonction", {"choice": "dsi"})
    journey = Journey.for_collectivites(response)
    assert journey.first_incomplete() is journey.section_steps[0]


def test_a_response_resumes_on_the_first_incomplete_page_then_on_the_review(small_survey):
    collectivite = Collectivite.objects.get(name="Villeurbanne")
    response = ResponseFactory(
        edition=small_survey, collectivite=collectivite, completed_sections=["profil"]
    )
    journey = Journey.for_collectivites(response)
    assert journey.first_incomplete() is journey.section_steps[0]  # a required answer lacks

    answer(response, "profil_fonction", {"choice": "dsi"})
    journey = Journey.for_collectivites(response)
    assert journey.first_incomplete() is journey.section_steps[1]

    answer(response, "usage_ia", {"choice": "non"})
    response.completed_sections = ["profil", "usages"]
    assert isinstance(Journey.for_collectivites(response).first_incomplete(), ReviewStep)


def test_the_review_misses_the_collectivite_first_then_the_required_answers_in_order(
    small_survey,
):
    response = ResponseFactory(edition=small_survey)
    answer(response, "usage_ia", {"choice": "oui"})  # asks usage_domaines, required
    journey = Journey.for_collectivites(response)
    profil, usages = journey.section_steps
    assert [item.text for item in journey.missing_on(profil)] == [
        "Votre collectivité ou structure",
        "Quelle est votre fonction ?",
    ]
    assert [item.text for item in journey.missing_on(usages)] == ["Dans quels domaines ?"]
    assert len(journey.missing()) == 3


def test_progress_is_the_share_of_asked_questions_that_have_an_answer(small_survey):
    response = ResponseFactory(edition=small_survey)
    assert Journey.for_collectivites(response).progress == 0
    answer(response, "profil_fonction", {"choice": "dsi"})
    # Asked: profil_fonction, profil_agents, usage_ia, usage_description (domaines is hidden).
    assert Journey.for_collectivites(response).progress == 25
    answer(response, "usage_ia", {"choice": "oui"})
    # usage_domaines is now asked too: 2 answered out of 5.
    assert Journey.for_collectivites(response).progress == 40


def test_saving_a_page_stores_the_journeys_progress_on_the_response(small_survey):
    response = ResponseFactory(edition=small_survey)
    sections = small_survey.questionnaire()
    question = sections[0].asked[0]
    response.save_answers(sections, {question: {"choice": "dsi", "other": ""}})
    response.refresh_from_db()
    assert response.progress == 25 == Journey.for_collectivites(response).progress


def test_a_journey_without_the_collectivite_step_navigates_counts_and_checks_the_same_way(
    small_survey,
):
    response = ResponseFactory(edition=small_survey)  # no collectivité, and none is asked
    journey = Journey(response, CITIZENS)
    profil, usages = journey.section_steps
    assert slugs(journey.steps) == ["profil", "usages", ReviewStep, SentStep]
    assert journey.page_showing(CollectiviteStep) is None
    assert journey.shown_on(profil) == []
    assert (journey.count, journey.position(profil), journey.position(usages)) == (2, 1, 2)
    assert journey.previous(profil) is None and journey.next(profil) is usages
    assert isinstance(journey.next(usages), ReviewStep)
    assert [item.text for item in journey.missing()] == [
        "Quelle est votre fonction ?",
        "Utilisez-vous l'IA ?",
    ]
    assert journey.first_incomplete() is profil

    answer(response, "profil_fonction", {"choice": "dsi"})
    response.completed_sections = ["profil"]
    journey = Journey(response, CITIZENS)
    assert journey.first_incomplete() is journey.section_steps[1]
    assert journey.progress == 25


def test_a_step_that_does_not_apply_is_left_out_of_navigation_and_numbering(small_survey):
    class SkipUsages(SectionStep):
        def is_applicable(self, response):
            return self.section.slug != "usages"

    journey = Journey(ResponseFactory(edition=small_survey), (SkipUsages, ReviewStep))
    (profil,) = journey.section_steps
    assert journey.count == 1
    assert isinstance(journey.next(profil), ReviewStep)

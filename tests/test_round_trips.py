"""The database round trips of a respondent's requests, on the real 2025 questionnaire: a page
save and a page display take a fixed number of queries, whatever the size of the page."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from survey.collection.models import Answer, Response
from survey.enums import QuestionKind
from survey.questionnaire.models import Edition

pytestmark = pytest.mark.django_db


# The resume token with the answers, then one transaction: the response locked and read, the
# page's answers and the response written (one statement on PostgreSQL, the fast path; an
# upsert then an update on SQLite), the commit.
def page_save_queries():
    return 5 if connection.vendor == "postgresql" else 6


DURING_THE_2025_COLLECTION = datetime.datetime(2025, 6, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def edition(settings):
    settings.QUESTIONNAIRE_CACHE = True  # as served: the structure is cached
    call_command("load_questionnaire", "questionnaires/2025.toml", verbosity=0)
    with time_machine.travel(DURING_THE_2025_COLLECTION, tick=False):
        yield Edition.objects.get(year=2025)


def filled_in(section):
    """What a respondent posts who answers every question of the page."""
    data = {"action": "later"}
    for question in section.asked:
        name = f"q-{question.code}"
        choices = [c for c in question.active_choices if not c.is_other and not c.is_exclusive]
        if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE):
            data[name] = choices[0].code
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            data[name] = [c.code for c in choices[: question.max_choices or 2]]
        elif question.kind == QuestionKind.MATRIX:
            for item in question.active_items:
                data[f"{name}-{item.code}"] = choices[0].code
        elif question.kind == QuestionKind.YES_NO:
            data[name] = "oui"
        elif question.kind in (QuestionKind.INTEGER, QuestionKind.DECIMAL):
            data[name] = "12"
        else:
            data[name] = "Texte de test"
    return data


def test_saving_any_page_takes_at_most_five_queries_whatever_its_number_of_questions(
    client, edition, django_assert_max_num_queries
):
    client.post(reverse("start"))
    response = Response.objects.get()
    edition.questionnaire()  # in this process's cache, as after the first page served
    sizes = set()
    for section in edition.questionnaire():
        data = filled_in(section)
        with django_assert_max_num_queries(page_save_queries()):
            page = client.post(reverse("section", args=[section.slug]), data)
        assert page.status_code == 302, section.slug
        sizes.add(len(section.asked))
    assert len(sizes) > 3  # pages of different sizes
    assert Answer.objects.filter(response=response).count() > 40


def test_emptying_answers_of_a_page_deletes_them_in_the_same_round_trips(
    client, edition, django_assert_max_num_queries
):
    client.post(reverse("start"))
    section = edition.questionnaire()[1]
    client.post(reverse("section", args=[section.slug]), filled_in(section))
    answered = Answer.objects.count()
    with django_assert_max_num_queries(page_save_queries()):
        page = client.post(reverse("section", args=[section.slug]), {"action": "later"})
    assert page.status_code == 302
    assert Answer.objects.count() < answered


def test_displaying_a_page_again_takes_at_most_two_queries(
    client, edition, django_assert_max_num_queries
):
    client.post(reverse("start"))
    for section in edition.questionnaire():
        client.post(reverse("section", args=[section.slug]), filled_in(section))
        url = reverse("section", args=[section.slug])
        client.get(url)  # the questionnaire is now in this process's cache
        with django_assert_max_num_queries(2):
            page = client.get(url)
        assert page.status_code == 200

"""Rules of the questionnaire on its models, so that the admin obeys them as the loader does."""

import datetime

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import signals
from django.urls import reverse

from survey.enums import QuestionKind
from survey.questionnaire import models as questionnaire_models
from survey.questionnaire.models import (
    Choice,
    Edition,
    MatrixItem,
    Question,
    forget_questionnaires,
)
from tests.factories import QuestionFactory
from tests.helpers.admin import question_form_data
from tests.sample import make_questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    client.force_login(User.objects.create_superuser("admin"))
    return client


@pytest.fixture
def edition():
    return make_questionnaire()


def messages_of(error):
    return " ".join(error.value.messages)


@pytest.mark.parametrize("code", ["Orga-Agents", "1er_choix", "avec-tiret", "a" * 61])
def test_a_question_code_that_cannot_name_an_export_column_is_refused_by_the_model(code):
    question = QuestionFactory.build(code=code, section=QuestionFactory().section)
    question.edition = question.section.edition
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "nom de la colonne dans les exports" in messages_of(error)


def test_a_well_formed_question_code_passes_the_model_validation():
    question = QuestionFactory(code="orga_agents_2025")
    question.full_clean()


@pytest.mark.parametrize("kind", [QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE])
def test_an_exclusive_choice_is_refused_outside_a_multiple_choice(kind):
    question = QuestionFactory(kind=kind)
    choice = Choice(question=question, code="nsp", label="Je ne sais pas", position=1)
    choice.is_exclusive = True
    with pytest.raises(ValidationError) as error:
        choice.full_clean()
    assert "exclusif" in messages_of(error) and "choix multiple" in messages_of(error)


def test_an_exclusive_choice_is_accepted_in_a_multiple_choice():
    question = QuestionFactory(kind=QuestionKind.MULTIPLE_CHOICE)
    Choice(question=question, code="nsp", label="NSP", position=1, is_exclusive=True).full_clean()


@pytest.mark.parametrize("kind", [QuestionKind.SCALE, QuestionKind.MATRIX])
def test_an_other_choice_is_refused_where_nothing_can_be_specified(kind):
    question = QuestionFactory(kind=kind)
    choice = Choice(question=question, code="autre", label="Autre", position=1, is_other=True)
    with pytest.raises(ValidationError) as error:
        choice.full_clean()
    assert "« Autre »" in messages_of(error)


@pytest.mark.parametrize("kind", [QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE])
def test_an_other_choice_is_accepted_in_a_single_or_multiple_choice(kind):
    question = QuestionFactory(kind=kind)
    Choice(question=question, code="autre", label="Autre", position=1, is_other=True).full_clean()


def test_a_question_whose_kind_no_longer_allows_its_exclusive_choice_is_refused():
    question = QuestionFactory(kind=QuestionKind.MULTIPLE_CHOICE)
    Choice.objects.create(question=question, code="nsp", label="NSP", position=1, is_exclusive=True)
    question.kind = QuestionKind.SINGLE_CHOICE
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "choix multiple" in messages_of(error)


def test_the_admin_refuses_an_exclusive_choice_on_a_single_choice_question(superuser, edition):
    question = Question.objects.get(code="usage_ia")
    url = reverse("admin:survey_question_change", args=[question.pk])
    response = superuser.post(url, question_form_data(question, **{"choices-0-is_exclusive": "on"}))
    assert response.status_code == 200
    assert "que pour un choix multiple" in response.content.decode()
    assert not Choice.objects.filter(question=question, is_exclusive=True).exists()


# -- The cached structure ---------------------------------------------------------------------


def test_the_cache_clearing_handlers_are_connected_when_the_app_is_ready():
    models = (Question, Choice, MatrixItem)
    for model in models:
        uid = f"forget_questionnaires_{model._meta.model_name}"
        for signal in (signals.post_save, signals.post_delete):
            signal.disconnect(forget_questionnaires, sender=model)
            signal.disconnect(forget_questionnaires, sender=model, dispatch_uid=uid)
    try:
        assert not signals.post_save.has_listeners(Question)
        apps.get_app_config("survey").ready()
        for model in models:
            assert forget_questionnaires in _receivers(signals.post_save, model)
            assert forget_questionnaires in _receivers(signals.post_delete, model)
    finally:
        apps.get_app_config("survey").ready()  # idempotent: never connected twice


def test_connecting_twice_does_not_clear_twice():
    apps.get_app_config("survey").ready()
    assert _receivers(signals.post_save, Question).count(forget_questionnaires) == 1


def _receivers(signal, sender):
    return list(signal._live_receivers(sender)[0])


@pytest.fixture
def cached(settings, edition):
    settings.QUESTIONNAIRE_CACHE = True
    forget_questionnaires()
    yield edition
    forget_questionnaires()


def asked_codes(edition):
    return [question.code for section in edition.questionnaire() for question in section.asked]


def test_the_admin_action_deactivating_questions_clears_the_cached_questionnaire(superuser, cached):
    assert "orga_budget" in asked_codes(cached)
    question = Question.objects.get(code="orga_budget")
    changelist = reverse("admin:survey_question_changelist")
    superuser.post(changelist, {"action": "deactivate", "_selected_action": [question.pk]})
    assert not Question.objects.get(pk=question.pk).is_active
    assert "orga_budget" not in asked_codes(cached)


@pytest.mark.parametrize(
    "change",
    [
        lambda: Question.objects.filter(code="orga_budget").update(is_active=False),
        lambda: Choice.objects.filter(question__code="usage_ia").update(label="Changé"),
        lambda: MatrixItem.objects.filter(question__code="usage_impacts").update(label="Changé"),
        lambda: Question.objects.filter(code="orga_budget").delete(),
    ],
    ids=["question update", "choice update", "matrix line update", "question delete"],
)
def test_every_bulk_change_to_the_questionnaire_clears_the_cached_structure(cached, change):
    before = _snapshot(cached)
    change()
    assert _snapshot(cached) != before


def _snapshot(edition):
    return [
        (q.code, [c.label for c in q.active_choices], [i.label for i in q.active_items])
        for section in edition.questionnaire()
        for q in section.asked
    ]


def test_another_process_sees_a_questionnaire_change_on_its_next_page(cached):
    kept_by_another_process = (cached.pk, cached.questionnaire())
    Question.objects.filter(code="orga_budget").update(is_active=False)  # staff, elsewhere
    questionnaire_models._questionnaires[cached.pk] = (
        cached.structure_version,  # the version it was built at, before the change
        kept_by_another_process[1],
    )
    # Its next page reads the edition (with the respondent's token), and so its version.
    assert "orga_budget" not in asked_codes(Edition.objects.get(pk=cached.pk))


def test_a_cached_questionnaire_is_kept_as_long_as_its_version_is_the_edition_s(cached):
    first = Edition.objects.get(pk=cached.pk).questionnaire()
    with time_machine.travel(datetime.timedelta(days=30)):
        assert Edition.objects.get(pk=cached.pk).questionnaire() is first

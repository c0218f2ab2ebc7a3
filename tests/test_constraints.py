import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from survey.collection.models import Answer, Response
from survey.enums import ResponseStatus
from tests.factories import (
    CollectiviteFactory,
    EditionFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def test_a_second_answer_to_the_same_question_is_refused_by_the_database():
    question = QuestionFactory()
    response = ResponseFactory(edition=question.edition)
    Answer.objects.create(response=response, question=question, value="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, question=question, value="b")


def test_question_codes_are_unique_within_an_edition():
    question = QuestionFactory(code="usage_ia")
    other_section = SectionFactory(edition=question.edition)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory(section=other_section, code="usage_ia")
    QuestionFactory(code="usage_ia")  # the same code in another edition is fine


def test_an_edition_must_close_after_it_opens():
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        EditionFactory(opens_at=now, closes_at=now - datetime.timedelta(days=1))


def test_one_response_per_collectivite_and_edition():
    edition = EditionFactory()
    collectivite = CollectiviteFactory()
    ResponseFactory(edition=edition, collectivite=collectivite)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponseFactory(edition=edition, collectivite=collectivite)
    ResponseFactory(edition=edition)  # responses without a collectivité yet are not limited
    ResponseFactory(edition=edition)


def test_a_submitted_response_has_a_sending_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponseFactory(status=ResponseStatus.SUBMITTED, submitted_at=None)


def test_public_ids_are_random_and_unguessable():
    first, second = ResponseFactory(), ResponseFactory()
    assert len(first.public_id) == 32 and first.public_id != second.public_id
    assert Response.objects.filter(public_id=first.public_id).count() == 1

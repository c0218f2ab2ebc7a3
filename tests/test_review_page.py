import pytest
from django.urls import reverse

from survey.collection.models import Respondent
from survey.collection.pages import RESUME_COOKIE
from tests.factories import ResponseFactory
from tests.sample import answer, make_questionnaire

pytestmark = pytest.mark.django_db


def test_a_matrix_answer_is_reviewed_as_a_list_of_its_rows(client):
    edition = make_questionnaire()
    response = ResponseFactory(edition=edition)
    answer(response, "usage_ia", {"choice": "oui"})
    answer(response, "usage_impacts", {"agents": "positif", "usagers": "nsp"})
    _, token = Respondent.create_for(response)
    client.cookies[RESUME_COOKIE] = token
    # Read with plain spaces: the page sets a no-break space before « : ».
    html = client.get(reverse("review")).content.decode().replace("\u00a0", " ")
    assert "<li>Agents : <strong>Positif</strong></li>" in html
    assert "<li>Usagers : <strong>Je ne sais pas</strong></li>" in html
    assert " ; " not in html

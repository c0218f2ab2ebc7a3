"""Quota cells are made of the poll questionnaire's own answers: a value no respondent can
give (« Bretagne », « 25-34 × F ») is refused, and rows saved before are reported."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from poll.models import Dimension, Quota
from tests.poll_sample import poll_edition

pytestmark = pytest.mark.django_db

ADD = reverse("admin:poll_quota_add")
LIST = reverse("admin:poll_quota_changelist")


@pytest.fixture
def edition():
    return poll_edition()


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("equipe"))
    return client


def test_a_cell_that_no_answer_can_match_is_refused_with_the_question_s_answers(edition):
    quota = Quota(edition=edition, dimension=Dimension.REGION, region="Bretagne", target=50)
    with pytest.raises(ValidationError) as refused:
        quota.full_clean()
    message = refused.value.message_dict["region"][0]
    assert "« Bretagne » n'est pas une réponse de la question « Dans quelle région" in message
    assert "Auvergne-Rhône-Alpes" in message
    Quota(edition=edition, dimension=Dimension.REGION, region="bretagne", target=50).full_clean()


def test_staff_choose_age_sex_and_region_from_the_questionnaire_s_answers(staff, edition):
    form = staff.get(ADD).context["adminform"].form
    regions = dict(dict(form.fields["region"].choices)[str(edition)])
    assert regions["bretagne"] == "Bretagne"
    ages = dict(dict(form.fields["age"].choices)[str(edition)])
    assert ages["age_25_34"] == "25 à 34 ans"
    assert dict(dict(form.fields["sex"].choices)[str(edition)]) == {
        "femme": "Une femme",
        "homme": "Un homme",
    }


@pytest.mark.parametrize(
    "cell",
    [
        {"dimension": Dimension.REGION, "region": "Bretagne"},
        {"dimension": Dimension.AGE_SEX, "age": "25-34", "sex": "F"},
    ],
)
def test_a_typed_value_is_refused_and_nothing_is_saved(staff, edition, cell):
    page = staff.post(ADD, {"edition": edition.pk, "target": 40, **cell})
    assert page.status_code == 200
    assert page.context["adminform"].form.errors
    assert not Quota.objects.exists()


def test_a_cell_chosen_from_the_answers_is_saved_and_counts_its_respondents(staff, edition):
    page = staff.post(
        ADD,
        {"edition": edition.pk, "dimension": Dimension.AGE_SEX, "age": "age_25_34",
         "sex": "femme", "target": 40},
    )  # fmt: skip
    assert page.status_code == 302
    profile = {"age": "age_25_34", "sex": "femme", "region": "bretagne"}
    assert list(Quota.objects.cells_for(edition, profile)) == [Quota.objects.get()]


def test_rows_saved_before_that_match_no_answer_are_reported(staff, edition):
    Quota.objects.create(edition=edition, dimension=Dimension.REGION, region="Bretagne", target=9)
    Quota.objects.create(edition=edition, dimension=Dimension.REGION, region="corse", target=9)
    page = staff.get(LIST)
    warnings = [str(message) for message in page.context["messages"]]
    assert len(warnings) == 1
    assert (
        "« Bretagne » n'est pas une réponse" in warnings[0] and "ne compte personne" in warnings[0]
    )
    # Opening the bad row keeps its value visible, marked, so that staff can correct it.
    bad = Quota.objects.get(region="Bretagne")
    form = staff.get(reverse("admin:poll_quota_change", args=[bad.pk])).context["adminform"].form
    assert "Valeur actuelle, qui ne correspond à aucune réponse" in dict(
        form.fields["region"].choices
    )

"""What staff read in the admin: names rather than codes, French that agrees, tidy index."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from survey.enums import CollectiviteKind
from tests.factories import CollectiviteFactory, EditionFactory, ResponseFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survey_response_changelist")


@pytest.fixture
def superuser(client):
    client.force_login(User.objects.create_superuser("admin"))
    return client


@pytest.fixture
def responses(db):
    edition = EditionFactory(year=2025)
    for name, code, region in [
        ("Lyon", "84", "Auvergne-Rhône-Alpes"),
        ("Paris", "11", "Île-de-France"),
    ]:
        collectivite = CollectiviteFactory(
            name=name, kind=CollectiviteKind.COMMUNE, region_code=code, region_name=region
        )
        ResponseFactory(edition=edition, collectivite=collectivite)
    return edition


def test_regions_read_as_names_in_the_list_and_its_filter(superuser, responses):
    page = superuser.get(CHANGELIST).content.decode()
    assert "Auvergne-Rhône-Alpes" in page and "Île-de-France" in page
    assert ">84<" not in page and ">11<" not in page
    assert "?collectivite__region_code=84" in page
    filtered = superuser.get(CHANGELIST, {"collectivite__region_code": "11"}).content.decode()
    assert ">Paris" in filtered and ">Lyon" not in filtered


def test_deleting_a_selection_reads_in_agreeing_french(superuser, responses):
    page = superuser.get(CHANGELIST).content.decode()
    assert "sélectionnés" not in page
    assert "Supprimer les réponses de la sélection" in page


def test_technical_apps_are_grouped_last_on_the_index(superuser):
    page = superuser.get(reverse("admin:index"))
    assert page.context["app_list"][0]["app_label"] == "survey"
    assert page.context["app_list"][-1]["name"].startswith("Technique")
    labels = [app["app_label"] for app in page.context["app_list"]]
    assert not {"otp_totp", "otp_static", "django_tasks_database"} & set(labels)
    assert labels[:2] == ["survey", "auth"] and labels[-1] == "axes"  # technical ones under it
    assert set(labels[2:-1]) == {"campaigns", "outbox", "results", "editions", "poll", "usecases"}


def test_the_export_page_defaults_to_what_french_excel_reads(client, responses):
    user = User.objects.create_user("observatoire", is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(user)
    form = client.get(reverse("admin:survey_response_export")).context["form"]
    assert form["delimiter"].value() == ";"
    assert form["bom"].value() is True
    assert "Excel en français" in form.fields["delimiter"].choices[0][1]

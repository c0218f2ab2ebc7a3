"""Use cases: the staff's review list (filters, tags, validation, export) and the public
catalogue (usecases/)."""

import csv
import datetime
import io

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from survey.collection.models import Answer, Respondent
from survey.enums import CollectiviteKind
from tests.factories import CollectiviteFactory
from tests.helpers.use_cases import make_edition, project
from tests.sample import answer, submitted
from usecases.models import Catalogue, Review, Tag, UseCase

pytestmark = pytest.mark.django_db

LIST = reverse("admin:usecases_usecase_changelist")


@pytest.fixture
def edition():
    return make_edition()


@pytest.fixture
def lyon(edition):
    response = submitted(
        edition,
        collectivite=CollectiviteFactory(
            name="Lyon", kind=CollectiviteKind.COMMUNE, region_name="Auvergne-Rhône-Alpes"
        ),
    )
    Respondent.create_for(response, email="agent@lyon.fr", name="Camille Agent", role="DSI")
    answer(
        response,
        "usage_ia_projets",
        [
            project("Chatbot", description="Répond aux usagers jour et nuit"),
            project("Compteurs", stade="idee", publication="non"),
        ],
    )
    return response


@pytest.fixture
def gironde(edition):
    response = submitted(
        edition,
        collectivite=CollectiviteFactory(
            name="Gironde", kind=CollectiviteKind.DEPARTEMENT, region_name="Nouvelle-Aquitaine"
        ),
    )
    answer(response, "usage_ia_projets", [project("Covoiturage", domaine="mobilite")])
    return response


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin"))
    return client


def names(page):
    return [use_case.name for use_case in page.context["cl"].result_list]


# -- Mirroring the answers ----------------------------------------------------------------


def test_each_project_of_each_response_gets_a_row(edition, lyon, gironde):
    UseCase.objects.sync(edition)
    rows = {row.name: row for row in UseCase.objects.all()}
    assert set(rows) == {"Chatbot", "Compteurs", "Covoiturage"}
    assert (rows["Chatbot"].domain, rows["Chatbot"].stage, rows["Chatbot"].consent) == (
        "eau", "production", True,
    )  # fmt: skip
    assert rows["Compteurs"].consent is False and rows["Compteurs"].number == 2


def test_a_project_keeps_its_tags_when_an_earlier_one_is_removed(edition, lyon):
    UseCase.objects.sync(edition)
    tag = Tag.objects.create(name="Relation usagers")
    UseCase.objects.get(name="Compteurs").tags.add(tag)
    Answer.objects.filter(response=lyon).update(value=[project("Compteurs", stade="idee")])
    UseCase.objects.sync(edition)
    (row,) = UseCase.objects.all()
    assert (row.name, row.number, list(row.tags.all())) == ("Compteurs", 1, [tag])


def test_a_validated_project_changed_since_goes_back_to_review(edition, lyon):
    UseCase.objects.sync(edition)
    chatbot = UseCase.objects.get(name="Chatbot")
    chatbot.validate_for_catalogue()
    chatbot.save()
    assert list(UseCase.objects.public()) == [chatbot]
    changed = [project("Chatbot", description="Nouveau texte"), project("Compteurs")]
    Answer.objects.filter(response=lyon).update(value=changed)
    UseCase.objects.sync(edition)
    assert UseCase.objects.get(name="Chatbot").review == Review.PENDING
    assert not UseCase.objects.public().exists()


# -- The staff's list ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Chatbot", "Compteurs", "Covoiturage"]),
        ({"domaine": "mobilite"}, ["Covoiturage"]),
        ({"stade": "idee"}, ["Compteurs"]),
        ({"response__collectivite__kind": "departement"}, ["Covoiturage"]),
        ({"response__collectivite__region_name": "Auvergne-Rhône-Alpes"}, ["Chatbot", "Compteurs"]),
        ({"q": "usagers"}, ["Chatbot"]),
    ],
)
def test_staff_list_every_project_and_filter_them(admin_client, lyon, gironde, query, expected):
    page = admin_client.get(LIST, query)
    assert page.status_code == 200
    assert sorted(names(page)) == expected


def test_staff_tag_a_project_from_the_controlled_vocabulary(admin_client, edition, lyon):
    admin_client.get(LIST)
    tag = Tag.objects.create(name="Accueil")
    chatbot = UseCase.objects.get(name="Chatbot")
    page = admin_client.get(reverse("admin:usecases_usecase_change", args=[chatbot.pk]))
    assert "Répond aux usagers jour et nuit" in page.content.decode()
    admin_client.post(
        reverse("admin:usecases_usecase_change", args=[chatbot.pk]),
        {"tags": [tag.pk], "review": Review.PUBLISHABLE},
    )
    chatbot.refresh_from_db()
    assert list(chatbot.tags.all()) == [tag] and chatbot.review == Review.PUBLISHABLE


def test_validating_leaves_out_the_projects_without_consent(admin_client, edition, lyon):
    admin_client.get(LIST)
    page = admin_client.post(
        LIST,
        {
            "action": "validate",
            "_selected_action": list(UseCase.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "1 projet(s) validé(s) pour le catalogue" in page.content.decode()
    assert list(UseCase.objects.public().values_list("name", flat=True)) == ["Chatbot"]


def test_the_staff_export_has_the_tags(admin_client, edition, lyon):
    admin_client.get(LIST)
    chatbot = UseCase.objects.get(name="Chatbot")
    chatbot.tags.add(Tag.objects.create(name="Accueil"), Tag.objects.create(name="=Formule"))
    page = admin_client.post(LIST, {"action": "export_csv", "_selected_action": [chatbot.pk]})
    (row,) = csv.DictReader(io.StringIO(b"".join(page.streaming_content).decode("utf-8-sig")))
    assert row["etiquettes"] == "'=Formule | Accueil"  # inert in a spreadsheet
    assert row["nom"] == "Chatbot" and row["domaine"] == "Eau" and row["collectivite"] == "Lyon"


# -- The public catalogue -----------------------------------------------------------------


def catalogue(client, **query):
    return client.get(reverse("use_case_catalogue", args=[2025]), query)


@pytest.fixture
def validated(edition, lyon, gironde):
    UseCase.objects.sync(edition)
    for use_case in UseCase.objects.filter(consent=True):
        use_case.validate_for_catalogue()
        use_case.save()


@pytest.fixture
def closed(edition):
    edition.closes_at = timezone.now() - datetime.timedelta(days=1)
    edition.opens_at = edition.closes_at - datetime.timedelta(days=30)
    edition.save()


def test_the_catalogue_waits_for_the_close_unless_staff_open_it(client, edition, validated):
    page = catalogue(client)
    assert page.status_code == 404
    assert "n’est pas encore publié" in page.content.decode()
    Catalogue.objects.create(edition=edition, open_before_close=True)
    assert catalogue(client).status_code == 200


def test_the_catalogue_shows_validated_consented_projects_with_the_collectivite_and_no_person(
    client, closed, validated
):
    html = catalogue(client).content.decode()
    assert "Chatbot" in html and "Covoiturage" in html and "Lyon" in html
    assert "Compteurs" not in html  # no consent
    assert "Camille" not in html and "agent@lyon.fr" not in html


def test_a_project_not_yet_validated_stays_out_of_the_catalogue(client, edition, closed, lyon):
    UseCase.objects.sync(edition)
    assert "Chatbot" not in catalogue(client).content.decode()


def test_a_project_changed_after_validation_leaves_the_catalogue_at_once(
    client, closed, validated, lyon
):
    Answer.objects.filter(response=lyon).update(value=[project("Chatbot", publication="non")])
    assert "Chatbot" not in catalogue(client).content.decode()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"q": "usagers"}, "Chatbot", "Covoiturage"),
        ({"q": "gironde"}, "Covoiturage", "Chatbot"),
        ({"domaine": "mobilite"}, "Covoiturage", "Chatbot"),
        ({"type": "commune"}, "Chatbot", "Covoiturage"),
        ({"stade": "idee"}, None, "Chatbot"),
    ],
)
def test_the_catalogue_is_searched_and_filtered_without_javascript(
    client, closed, validated, query, shown, hidden
):
    page = catalogue(client, **query)
    html = page.content.decode()
    assert page.status_code == 200
    if shown:
        assert f">{shown}</h2>" in html
    assert f">{hidden}</h2>" not in html


def test_the_catalogue_is_filtered_by_the_staffs_tags_without_javascript(client, closed, validated):
    chatbot = UseCase.objects.get(name="Chatbot")
    chatbot.tags.add(Tag.objects.create(name="Relation usagers"))
    Tag.objects.create(name="Jamais utilisée")
    page = catalogue(client)
    html = page.content.decode()
    assert [label for _, label in page.context["form"].fields["etiquette"].choices] == [
        "Toutes les étiquettes",
        "Relation usagers",
    ]  # only the tags of published projects are offered
    assert 'href="?etiquette=Relation%20usagers"' in html
    html = catalogue(client, etiquette="Relation usagers").content.decode()
    assert ">Chatbot</h2>" in html and ">Covoiturage</h2>" not in html
    # An unknown tag is a bad filter, not an empty page: everything is listed.
    page = catalogue(client, etiquette="Inconnue")
    assert page.status_code == 200 and ">Covoiturage</h2>" in page.content.decode()


def test_every_page_links_to_the_latest_open_catalogue(client, edition, closed, validated):
    footer = client.get(reverse("privacy")).content.decode()
    latest = reverse("use_case_catalogue_latest")
    assert f'href="{latest}"' in footer
    assert client.get(latest).url == reverse("use_case_catalogue", args=[2025])


def test_the_latest_catalogue_says_when_none_is_open_yet(client, edition):
    page = client.get(reverse("use_case_catalogue_latest"))
    assert page.status_code == 404 and "n’est pas encore publié" in page.content.decode()


def test_the_home_page_of_a_closed_edition_links_to_its_catalogue(client, edition, closed):
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="catalogue-link"' in html
    assert reverse("use_case_catalogue", args=[2025]) in html


def test_the_catalogue_passes_the_nu_html_checker(client, closed, validated, tmp_path):
    from tests.helpers.html import nu_problems

    UseCase.objects.get(name="Chatbot").tags.add(Tag.objects.create(name="Accueil"))
    pages = [
        ("catalogue", catalogue(client).content.decode()),
        ("catalogue-search", catalogue(client, q="rien du tout").content.decode()),
    ]
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
        pages.append(("catalogue-unavailable", catalogue(client).content.decode()))
    assert nu_problems(pages, tmp_path) == []


def test_a_view_only_user_can_neither_validate_nor_withhold_a_project(client, edition, lyon):
    from django.contrib.auth.models import Permission

    UseCase.objects.sync(edition)
    reader = User.objects.create_user("lecteur", password="un mot de passe assez long",
                                      is_staff=True)  # fmt: skip
    reader.user_permissions.add(Permission.objects.get(codename="view_usecase"))
    client.force_login(reader)
    page = client.get(LIST)
    offered = [value for value, _ in page.context["action_form"].fields["action"].choices]
    assert "validate" not in offered and "withhold" not in offered
    chatbot = UseCase.objects.get(name="Chatbot")
    for action in ("validate", "withhold"):
        client.post(LIST, {"action": action, "_selected_action": [chatbot.pk]})
    chatbot.refresh_from_db()
    assert chatbot.review == Review.PENDING
    assert not UseCase.objects.public().exists()

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from poll.models import Participation
from survey.collection.models import Respondent
from survey.collectivites.models import Collectivite
from survey.enums import CollectiviteKind, PopulationBand, QuestionKind, ResponseStatus
from survey.questionnaire.models import Choice, Question
from survey.typography import typeset
from tests.factories import CollectiviteFactory, QuestionFactory, ResponseFactory
from tests.helpers.admin import question_form_data
from tests.poll_sample import poll_edition
from tests.sample import answer, make_questionnaire, submitted

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survey_response_changelist")
EXPORT = reverse("admin:survey_response_export")


@pytest.fixture
def edition():
    return make_questionnaire()


@pytest.fixture
def lyon(edition):
    response = submitted(
        edition,
        collectivite=CollectiviteFactory(
            name="Lyon",
            siren="216901231",
            kind=CollectiviteKind.COMMUNE,
            population_band=PopulationBand.OVER_100000,
            region_code="84",
        ),
    )
    answer(response, "usage_ia", "oui")
    answer(response, "usage_domaines", {"choices": ["mobilite", "autre"], "other": "Voirie"})
    answer(response, "usage_impacts", {"agents": "positif"})
    answer(response, "orga_charte", "oui")
    Respondent.create_for(response, email="camille@lyon.example.fr", name="Camille", role="DSI")
    return response


@pytest.fixture
def gironde(edition):
    response = ResponseFactory(
        edition=edition,
        progress=30,
        collectivite=CollectiviteFactory(
            name="Département de la Gironde",
            siren="223300013",
            kind=CollectiviteKind.DEPARTEMENT,
            population_band=PopulationBand.OVER_100000,
            region_code="75",
        ),
    )
    answer(response, "usage_domaines", ["eau"])  # stays stored, hidden by the next answer
    answer(response, "usage_ia", "non")
    return response


def staff(username, *, group=None, perms=()):
    user = User.objects.create_user(username, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def observatoire(client):
    client.force_login(staff("observatoire", group="Observatoire"))
    return client


@pytest.fixture
def superuser(client):
    client.force_login(User.objects.create_superuser("admin"))
    return client


def content(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


# -- Permissions ------------------------------------------------------------------------------


def test_the_observatoire_group_may_view_and_export_but_change_nothing():
    codenames = set(
        Group.objects.get(name="Observatoire").permissions.values_list("codename", flat=True)
    )
    assert {"view_response", "view_answer", "view_question", "export_responses"} <= codenames
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in codenames)
    assert "view_contact_details" not in codenames and "view_respondent" not in codenames


@pytest.mark.parametrize("logged_in_as", ["nobody", "non_staff", "staff_without_permission"])
def test_without_the_right_access_the_admin_and_exports_give_nothing(client, lyon, logged_in_as):
    if logged_in_as == "non_staff":
        client.force_login(User.objects.create_user("agent"))
    elif logged_in_as == "staff_without_permission":
        client.force_login(staff("stagiaire"))
    change = reverse("admin:survey_response_change", args=[lyon.pk])
    attempts = [
        client.get(CHANGELIST),
        client.get(change),
        client.get(EXPORT),
        client.post(EXPORT, {"edition": lyon.edition.pk, "format": "csv", "status": "all"}),
        client.post(
            CHANGELIST,
            {"action": "export_selected", "_selected_action": [lyon.pk], "format": "csv"},
        ),
        client.get(reverse("admin:survey_question_changelist")),
    ]
    for response in attempts:
        assert response.status_code in (302, 403)
        assert lyon.public_id not in content(response)
        assert "camille@lyon.example.fr" not in content(response)
        if logged_in_as != "staff_without_permission":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))


def test_an_observatoire_member_views_and_exports_but_cannot_change(observatoire, lyon):
    change = reverse("admin:survey_response_change", args=[lyon.pk])
    assert observatoire.get(CHANGELIST).status_code == 200
    page = observatoire.get(change)
    assert page.status_code == 200
    assert 'name="collectivite"' not in content(page)
    assert observatoire.post(change, {"collectivite": ""}).status_code == 403
    question = Question.objects.get(code="usage_ia")
    question_change = reverse("admin:survey_question_change", args=[question.pk])
    assert observatoire.get(question_change).status_code == 200
    assert observatoire.post(question_change, {"code": "autre"}).status_code == 403
    assert observatoire.get(reverse("admin:survey_question_add")).status_code == 403
    exported = observatoire.post(
        EXPORT, {"edition": lyon.edition.pk, "format": "csv", "status": "submitted"}
    )
    assert exported.streaming
    assert lyon.public_id in content(exported)


def test_contact_details_need_their_own_permission(client, lyon):
    user = staff("analyste", group="Observatoire")
    client.force_login(user)
    change = reverse("admin:survey_response_change", args=[lyon.pk])
    assert "camille@lyon.example.fr" not in content(client.get(change))
    assert "Lyon" not in content(client.get(CHANGELIST, {"q": "camille@lyon.example.fr"}))
    assert 'name="contacts"' not in content(client.get(EXPORT))
    data = {"edition": lyon.edition.pk, "format": "csv", "status": "all", "contacts": "on"}
    assert "camille@lyon.example.fr" not in content(client.post(EXPORT, data))

    user.user_permissions.add(Permission.objects.get(codename="view_contact_details"))
    user = User.objects.get(pk=user.pk)  # permissions are cached on the instance
    client.force_login(user)
    assert "camille@lyon.example.fr" in content(client.get(change))
    assert "Lyon" in content(client.get(CHANGELIST, {"q": "camille@lyon.example.fr"}))
    assert "camille@lyon.example.fr" in content(client.post(EXPORT, data))


def test_a_superuser_sees_contact_details_but_responses_stay_read_only(superuser, lyon):
    change = reverse("admin:survey_response_change", args=[lyon.pk])
    page = content(superuser.get(change))
    assert "camille@lyon.example.fr" in page
    assert 'name="collectivite"' not in page and 'name="_save"' not in page
    assert superuser.post(change, {"collectivite": ""}).status_code == 403


# -- Responses list ------------------------------------------------------------------------


def test_the_list_shows_collectivite_status_progress_and_counts(observatoire, lyon, gironde):
    page = content(observatoire.get(CHANGELIST))
    for text in ["Lyon", "Département de la Gironde", "Département", "Plus de 100 000", "84"]:
        assert typeset(text) in page
    assert "30\u00a0%" in page and "100\u00a0%" in page
    assert "<strong>1</strong> brouillon(s) et\n      <strong>1</strong> réponse(s)" in page
    filtered = content(observatoire.get(CHANGELIST, {"status__exact": "draft"}))
    assert "<strong>1</strong> brouillon(s) et\n      <strong>0</strong> réponse(s)" in filtered


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "submitted"}, {"Lyon"}),
        ({"status__exact": "draft"}, {"Gironde"}),
        ({"collectivite__kind__exact": "departement"}, {"Gironde"}),
        ({"collectivite__population_band__exact": "gt100000"}, {"Lyon", "Gironde"}),
        ({"collectivite__region_code": "84"}, {"Lyon"}),
        ({"progression": "1-49"}, {"Gironde"}),
        ({"progression": "100"}, {"Lyon"}),
        ({"submitted_at__isnull": "True"}, {"Gironde"}),
        ({"q": "gironde"}, {"Gironde"}),
        ({"q": "216901231"}, {"Lyon"}),
    ],
)
def test_the_list_filters_and_searches(observatoire, lyon, gironde, params, expected):
    page = content(observatoire.get(CHANGELIST, params))
    assert {
        name for name in ("Lyon", "Gironde") if f">{name}" in page or f"de la {name}" in page
    } == expected


def test_the_list_makes_the_same_number_of_queries_whatever_the_number_of_responses(
    observatoire, edition
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert observatoire.get(CHANGELIST).status_code == 200
        return len(captured)

    for _ in range(2):
        submitted(edition)
    few = queries()
    for _ in range(15):
        ResponseFactory(edition=edition, collectivite=CollectiviteFactory())
    assert queries() == few


# -- Response detail -------------------------------------------------------------------------


def test_the_detail_page_groups_answers_by_section_with_labels(observatoire, lyon, gironde):
    page = content(observatoire.get(reverse("admin:survey_response_change", args=[lyon.pk])))
    assert page.index("<h3>Usages</h3>") < page.index("<h3>Organisation</h3>")
    assert typeset("Utilisez-vous l&#x27;IA ?") in page
    assert typeset("Mobilite ; Autre — précision : Voirie") in page
    assert typeset("<li>Agents : Positif</li>") in page
    assert "Sans réponse" in page

    page = content(observatoire.get(reverse("admin:survey_response_change", args=[gironde.pk])))
    assert "Non posée" in page
    assert typeset("masquée par la condition d'affichage") in page


# -- Questionnaire ------------------------------------------------------------------------------


def test_an_answered_question_keeps_its_code_and_an_answered_choice_stays(superuser, lyon):
    question = Question.objects.get(code="usage_ia")
    url = reverse("admin:survey_question_change", args=[question.pk])
    page = content(superuser.get(url))
    assert "ne peuvent plus changer" in page
    assert "qui ne peuvent pas être supprimés" in page and typeset("un choix) : oui.") in page
    data = question_form_data(
        question,
        code="renomme",
        text="Utilisez-vous déjà l'IA ?",
        **{
            "choices-0-code": "oui_renomme",  # "oui" was answered
            "choices-0-DELETE": "on",
            "choices-1-code": "non_renomme",  # "non" was not
            "choices-2-DELETE": "on",  # nor "nsp"
        },
    )
    response = superuser.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    question.refresh_from_db()
    assert (question.code, question.text) == ("usage_ia", "Utilisez-vous déjà l'IA ?")
    assert list(question.choices.values_list("code", flat=True)) == ["oui", "non_renomme"]


def test_a_question_without_answers_can_change_its_code_and_be_deleted(superuser, edition):
    question = Question.objects.get(code="orga_agents")
    url = reverse("admin:survey_question_change", args=[question.pk])
    assert (
        superuser.post(url, question_form_data(question, code="orga_effectif")).status_code == 302
    )
    question.refresh_from_db()
    assert question.code == "orga_effectif"
    delete = reverse("admin:survey_question_delete", args=[question.pk])
    assert superuser.post(delete, {"post": "yes"}).status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()


def test_question_codes_must_be_usable_as_export_columns(superuser, edition):
    question = Question.objects.get(code="orga_agents")
    url = reverse("admin:survey_question_change", args=[question.pk])
    response = superuser.post(url, question_form_data(question, code="Orga-Agents"))
    assert response.status_code == 200
    assert "nom de la colonne dans les exports" in content(response)


def test_deleting_an_answered_question_explains_why_and_offers_to_deactivate(superuser, lyon):
    question = Question.objects.get(code="usage_ia")
    delete = reverse("admin:survey_question_delete", args=[question.pk])
    page = content(superuser.get(delete))
    assert "ne peut pas être supprimée" in page
    deactivate = reverse("admin:survey_question_deactivate", args=[question.pk])
    assert f'action="{deactivate}"' in page
    superuser.post(delete, {"post": "yes"})
    assert Question.objects.filter(pk=question.pk).exists()
    assert superuser.get(deactivate).status_code == 405
    assert superuser.post(deactivate).status_code == 302
    question.refresh_from_db()
    assert not question.is_active


def test_bulk_deletion_refuses_answered_questions_and_deactivation_works(superuser, lyon):
    answered = Question.objects.get(code="usage_ia")
    unanswered = Question.objects.get(code="orga_budget")
    url = reverse("admin:survey_question_changelist")
    selection = {"_selected_action": [answered.pk, unanswered.pk]}
    page = content(superuser.post(url, {"action": "delete_selected", **selection}))
    assert typeset("« usage_ia » a déjà 1 réponse(s)") in page
    superuser.post(url, {"action": "delete_selected", "post": "yes", **selection})
    assert Question.objects.filter(pk__in=[answered.pk, unanswered.pk]).count() == 2
    superuser.post(url, {"action": "deactivate", **selection})
    assert not Question.objects.filter(pk__in=[answered.pk, unanswered.pk], is_active=True)


def test_questionnaire_pages_open_for_staff(superuser, edition):
    question = Question.objects.get(code="usage_impacts")
    section = question.section
    pages = [
        reverse("admin:survey_edition_change", args=[edition.pk]),
        reverse("admin:survey_section_change", args=[section.pk]),
        reverse("admin:survey_section_changelist"),
        reverse("admin:survey_question_changelist"),
        reverse("admin:survey_question_change", args=[question.pk]),
    ]
    for url in pages:
        assert superuser.get(url).status_code == 200
    assert "Agents" in content(superuser.get(pages[-1]))


# -- Exports from the admin --------------------------------------------------------------


def rows(response, delimiter=","):
    return list(csv.DictReader(io.StringIO(content(response)), delimiter=delimiter))


def test_the_export_page_streams_with_the_chosen_options(observatoire, lyon, gironde):
    page = observatoire.get(EXPORT)
    assert page.status_code == 200 and 'name="format"' in content(page)
    data = {
        "edition": lyon.edition.pk,
        "format": "csv",
        "status": "all",
        "labels": "on",
        "delimiter": ";",
        "bom": "on",
    }
    response = observatoire.post(EXPORT, data)
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith(
        "-toutes-" + timezone.localdate().strftime("%Y%m%d") + '.csv"'
    )
    exported = {row["identifiant"]: row for row in rows(response, ";")}
    assert set(exported) == {lyon.public_id, gironde.public_id}
    assert exported[lyon.public_id]["usage_ia"] == "Oui"


def test_the_export_page_explains_a_bad_option(observatoire, edition):
    response = observatoire.post(EXPORT, {"edition": edition.pk, "format": "pdf"})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in content(response)


@pytest.mark.parametrize("format_key", ["long-csv", "xlsx", "json", "datapackage", "schema"])
def test_every_format_downloads_from_the_export_page(observatoire, lyon, format_key):
    data = {"edition": lyon.edition.pk, "format": format_key, "status": "submitted"}
    response = observatoire.post(EXPORT, data)
    assert response.status_code == 200 and response.streaming
    assert len(b"".join(response.streaming_content)) > 100


def test_the_export_action_exports_the_selection_only(observatoire, lyon, gironde):
    selection = {"action": "export_selected", "_selected_action": [gironde.pk], "index": 0}
    page = observatoire.post(CHANGELIST, selection)
    assert page.status_code == 200
    assert "Exporter 1 réponse(s) sélectionnée(s)" in content(page)
    response = observatoire.post(CHANGELIST, {**selection, "format": "csv", "status": "all"})
    assert [row["identifiant"] for row in rows(response)] == [gironde.public_id]


def test_the_export_action_follows_select_across_and_filters(observatoire, lyon, gironde):
    data = {
        "action": "export_selected",
        "select_across": "1",
        "_selected_action": [lyon.pk],
        "index": 0,
        "format": "csv",
        "status": "all",
    }
    response = observatoire.post(f"{CHANGELIST}?status__exact=draft", data)
    assert [row["identifiant"] for row in rows(response)] == [gironde.public_id]


def test_the_export_action_refuses_a_selection_across_editions(observatoire, lyon):
    other = submitted(QuestionFactory().edition)
    selection = {"action": "export_selected", "_selected_action": [lyon.pk, other.pk]}
    response = observatoire.post(CHANGELIST, selection, follow=True)
    assert "une seule édition" in content(response)


def test_a_deactivated_choice_and_question_stay_in_the_detail_page(superuser, lyon):
    Choice.objects.filter(question__code="usage_domaines", code="mobilite").update(is_active=False)
    Question.objects.filter(code="orga_charte").update(is_active=False)
    page = content(superuser.get(reverse("admin:survey_response_change", args=[lyon.pk])))
    assert typeset("Mobilite ; Autre") in page
    assert "(désactivée)" in page


def test_a_response_cannot_be_added_from_the_admin(superuser):
    assert superuser.get(reverse("admin:survey_response_add")).status_code == 403


def test_a_matrix_question_lists_its_lines_in_the_admin(superuser, edition):
    question = QuestionFactory(
        section=edition.sections.first(),
        kind=QuestionKind.MATRIX,
        choices=["a", "b"],
        items=["l1", "l2"],
    )
    page = content(superuser.get(reverse("admin:survey_question_change", args=[question.pk])))
    assert 'name="items-0-code"' in page and 'value="l1"' in page


def test_status_labels_read_in_french(observatoire, lyon):
    assert ResponseStatus.SUBMITTED.label in content(observatoire.get(CHANGELIST))
    assert Collectivite.objects.count() == 1


def test_the_citizens_poll_responses_stay_out_of_the_collectivites_list(observatoire, lyon):
    poll = poll_edition()
    participation, _ = Participation.start(poll, "panel-1")
    list_page = content(observatoire.get(CHANGELIST))
    assert "<strong>0</strong> brouillon(s) et\n      <strong>1</strong> réponse(s)" in list_page
    assert f"edition__id__exact={poll.pk}" not in list_page  # not in the editions' filter
    detail = reverse("admin:survey_response_change", args=[participation.response_id])
    assert observatoire.get(detail).status_code == 302  # « does not exist », back to the list
    assert observatoire.get(CHANGELIST, {"edition__id__exact": poll.pk}).status_code == 200

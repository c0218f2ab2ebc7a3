"""The repeated group kind: projects described one by one (survey/questionnaire/kinds/group.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from survey.collection.models import Response
from survey.enums import QuestionKind
from survey.questionnaire.loader import QuestionnaireError, load_questionnaire
from survey.questionnaire.models import Question
from survey.typography import typeset
from tests.factories import QuestionFactory
from tests.helpers.questionnaires import GROUP_FILE, PROJECTS, VALID, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(small_survey):
    usages = small_survey.sections.get(slug="usages")
    return QuestionFactory(
        section=usages, position=4, code="cas_usage", kind=QuestionKind.GROUP,
        text="Vos projets d'IA, un par un", group=PROJECTS,
    )  # fmt: skip


# -- Values -------------------------------------------------------------------------------


def test_a_group_keeps_its_items_in_order_and_drops_the_empty_ones(projects):
    value = [
        {"nom": " Chatbot ", "stade": "production", "agents": "12", "generative": "oui"},
        {"nom": "", "stade": "", "agents": "", "generative": ""},
        {"nom": "Tri des courriers", "stade": "idee"},
    ]
    assert projects.clean_answer(value) == [
        {"nom": "Chatbot", "stade": {"choice": "production"}, "agents": 12, "generative": True},
        {"nom": "Tri des courriers", "stade": {"choice": "idee"}},
    ]


def test_no_item_at_all_is_no_answer(projects):
    assert projects.clean_answer([]) is None
    assert projects.clean_answer([{"nom": ""}]) is None


def test_each_refused_value_names_its_item_and_its_sub_question(projects):
    with pytest.raises(ValidationError) as error:
        projects.clean_answer([{"nom": "A"}, {"nom": "B", "agents": "-3", "stade": "autre"}])
    assert error.value.messages == [
        typeset("Projet 2 : « Stade » — Cette réponse ne fait pas partie des choix proposés."),
        typeset("Projet 2 : « Agents concernés » — Saisissez un nombre supérieur ou égal à 0."),
    ]


def test_more_items_than_the_file_allows_are_refused(projects):
    with pytest.raises(ValidationError, match="3 projets au plus"):
        projects.clean_answer([{"nom": str(n)} for n in range(4)])


def test_an_item_without_its_required_sub_question_is_incomplete_even_if_the_group_is_optional(
    projects,
):
    cleaned = projects.clean_answer([{"nom": "A"}, {"stade": "idee"}])
    with pytest.raises(ValidationError) as error:
        projects.check_required(cleaned)
    assert error.value.messages == [
        "Projet 2\u00a0: «\u00a0Nom du projet\u00a0» — Cette question est obligatoire."
    ]


def test_a_group_in_words_names_each_item(projects):
    value = [
        {"nom": "Chatbot", "stade": {"choice": "production"}, "generative": False},
        {"nom": "Tri"},
    ]
    assert projects.kind_class.words(projects, value) == typeset(
        "Projet 1 : Nom du projet : Chatbot ; Stade : En production ; IA générative ? Non. "
        "Projet 2 : Nom du projet : Tri."
    )


# -- The page without JavaScript ----------------------------------------------------------


def start_on_usages(client):
    client.post(reverse("start"), {"email": ""})
    return Response.objects.latest("created_at")


def post(client, data):
    return client.post(reverse("section", args=["usages"]), data)


def test_adding_a_project_without_javascript_shows_an_empty_item_and_saves_nothing(
    client, projects
):
    response = start_on_usages(client)
    page = post(client, {"usage_ia": "oui", "question-action": "add:cas_usage"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Projet 1 ajouté\u00a0: il sera enregistré avec la page." in html
    assert 'name="q-cas_usage-1-nom"' in html
    assert response.answers.count() == 0


def test_projects_added_then_saved_are_kept_with_the_page(client, projects):
    response = start_on_usages(client)
    page = post(
        client,
        {
            "usage_ia": "oui", "q-usage_domaines": ["eau"], "q-usage_ia": "oui",
            "q-cas_usage": "1 2", "q-cas_usage-1-nom": "Chatbot",
            "q-cas_usage-1-stade": "production", "q-cas_usage-2-nom": "Tri",
            "action": "later",
        },
    )  # fmt: skip
    assert page.status_code == 302
    assert response.answers.get(question=projects).value == [
        {"nom": "Chatbot", "stade": {"choice": "production"}},
        {"nom": "Tri"},
    ]


def test_removing_a_project_without_javascript_can_be_undone_until_the_page_is_saved(
    client, projects
):
    response = start_on_usages(client)
    data = {
        "q-usage_ia": "oui", "q-cas_usage": "1 2", "q-cas_usage-1-nom": "Chatbot",
        "q-cas_usage-2-nom": "Tri", "action": "later",
    }  # fmt: skip
    post(client, data)
    removed = post(client, {**data, "question-action": "remove:cas_usage:1"})
    html = removed.content.decode()
    assert "Projet 1 retiré" in html and "Annuler le retrait" in html
    assert 'name="q-cas_usage" value="2"' in html
    assert 'name="q-cas_usage-removed" value="1"' in html
    # The removed project stays in its place, as with JavaScript.
    assert 'name="q-cas_usage-order" value="1 2"' in html
    assert html.index('data-index="1"') < html.index('data-index="2"')
    assert len(response.answers.get(question=projects).value) == 2  # nothing saved yet
    restored = post(
        client,
        {**data, "q-cas_usage": "2", "q-cas_usage-removed": "1", "q-cas_usage-order": "1 2",
         "question-action": "restore:cas_usage:1"},
    )  # fmt: skip
    html = restored.content.decode()
    assert 'name="q-cas_usage" value="1 2"' in html  # back in its place, not last
    assert "Projet 1 rétabli" in html
    post(client, {**data, "q-cas_usage": "2", "q-cas_usage-removed": "1"})
    assert response.answers.get(question=projects).value == [{"nom": "Tri"}]


def test_a_page_with_an_incomplete_project_says_which_one(client, projects):
    start_on_usages(client)
    page = post(
        client,
        {"q-usage_ia": "non", "q-cas_usage": "1 2", "q-cas_usage-1-nom": "A",
         "q-cas_usage-2-stade": "idee", "action": "continue"},
    )  # fmt: skip
    assert page.status_code == 422
    assert "Projet 2\u00a0: «\u00a0Nom du projet\u00a0» — Cette question est obligatoire." in (
        page.content.decode()
    )


def test_no_more_projects_than_the_maximum_can_be_added(client, projects):
    start_on_usages(client)
    page = post(client, {"q-cas_usage": "1 2 3", "question-action": "add:cas_usage"})
    assert "3 projets au plus\u00a0: impossible d’en ajouter." in page.content.decode()


def test_a_saved_group_is_shown_back_on_its_page_and_on_the_review(client, projects):
    start_on_usages(client)
    post(
        client,
        {"q-usage_ia": "non", "q-cas_usage": "1", "q-cas_usage-1-nom": "Chatbot",
         "action": "later"},
    )  # fmt: skip
    page = client.get(reverse("section", args=["usages"])).content.decode()
    assert 'name="q-cas_usage-1-nom" id="id_q-cas_usage-1-nom" value="Chatbot"' in page
    review = client.get(reverse("review")).content.decode()
    # The review lists the projects, one under the other (issue 24).
    items = review.split('data-testid="group-items"', 1)[1].split("</ol>", 1)[0]
    assert '<li class="mb-2"><span class="fw-semibold">Projet 1</span>' in items
    assert "<li>Nom du projet\u00a0: <strong>Chatbot</strong></li>" in items


# -- The questionnaire file ---------------------------------------------------------------


def test_the_loader_stores_a_group_with_its_sub_questions_and_their_named_choice_lists(tmp_path):
    load_questionnaire(write(tmp_path, VALID + GROUP_FILE))
    group = Question.objects.get(code="cas_usage")
    assert group.kind == "group"
    assert group.group["max_items"] == 5 and group.group["item"] == "Projet"
    stade = group.kind_class.sub_questions(group)[1]
    assert [choice.code for choice in stade.active_choices] == ["oui", "non", "nsp"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("max_items = 5", "max_items = 0"),
        ('{ code = "nom", kind = "short_text"', '{ code = "nom", kind = "group"'),
        (
            "required = true }",
            'required = true, show_if = { question = "usage_ia", any_of = ["oui"] } }',
        ),
        ('kind = "short_text", text = "Nom"', 'kind = "mystere", text = "Nom"'),
    ],
)
def test_the_loader_refuses_a_malformed_group_in_french(tmp_path, change, problem):
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaire(write(tmp_path, VALID + GROUP_FILE.replace(change, problem)))
    assert "question « cas_usage »" in str(error.value.problems)


def test_only_a_group_has_sub_questions(tmp_path):
    text = VALID.replace('text = "Combien d\'agents ?"', 'text = "Combien ?"\nmax_items = 3')
    with pytest.raises(QuestionnaireError, match="groupe répété"):
        load_questionnaire(write(tmp_path, text))


def test_the_page_draws_each_project_with_its_sub_questions_and_buttons(client, projects):
    start_on_usages(client)
    page = post(client, {"q-usage_ia": "non", "question-action": "add:cas_usage"})
    html = page.content.decode()
    assert html.count("data-group-item ") == 2  # the item, and the model JavaScript copies
    assert "<template data-group-template>" in html
    assert 'value="remove:cas_usage:1"' in html and 'value="add:cas_usage"' in html
    assert 'name="q-cas_usage-__i__-nom"' in html


def test_the_pages_with_projects_pass_the_nu_html_checker(client, projects, tmp_path):
    from tests.helpers.html import nu_problems

    start_on_usages(client)
    data = {
        "q-usage_ia": "oui", "q-usage_domaines": "eau", "q-cas_usage": "1 2",
        "q-cas_usage-1-nom": "Chatbot", "q-cas_usage-1-stade": "idee",
        "q-cas_usage-2-nom": "Tri", "action": "later",
    }  # fmt: skip
    post(client, data)
    pages = [
        ("saved", client.get(reverse("section", args=["usages"]))),
        ("added", post(client, {**data, "question-action": "add:cas_usage"})),
        ("removed", post(client, {**data, "question-action": "remove:cas_usage:1"})),
        ("errors", post(client, {**data, "q-cas_usage-2-agents": "-1", "action": "continue"})),
        ("review", client.get(reverse("review"))),
    ]
    assert [page.status_code for _, page in pages] == [200, 200, 200, 422, 200]
    html = [(name, page.content.decode()) for name, page in pages]
    assert nu_problems(html, tmp_path) == []


def test_next_years_file_keeps_the_group_with_its_sub_questions(tmp_path):
    from survey.questionnaire.models import Edition
    from survey.questionnaire.writer import next_edition_file
    from tests.helpers.questionnaires import with_dates

    load_questionnaire(write(tmp_path, VALID + GROUP_FILE))
    text = with_dates(next_edition_file(Edition.objects.get(year=2030), 2031))
    load_questionnaire(write(tmp_path, text.replace("2026-", "2031-"), "next.toml"))
    group = Question.objects.get(edition__year=2031, code="cas_usage")
    assert group.lineage == "identical" and group.continues.edition.year == 2030
    assert group.group == Question.objects.get(edition__year=2030, code="cas_usage").group


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        ({**PROJECTS, "max_items": 0}, "« max_items » doit être un nombre entier de 1 à 50."),
        ({**PROJECTS, "questions": []}, "un groupe répété a des sous-questions"),
        (
            {**PROJECTS, "questions": [{"code": "x", "kind": "group", "text": "Groupe"}]},
            "un groupe ne peut pas contenir un autre groupe",
        ),
        ({**PROJECTS, "couleur": "bleu"}, "clé inconnue « couleur »"),
        ("pas un objet", "Décrivez le groupe par un objet"),
    ],
)
def test_staff_editing_a_group_in_the_admin_get_french_problems_not_a_crash(
    projects, group, problem
):
    projects.group = group
    with pytest.raises(ValidationError) as error:
        projects.full_clean()
    assert any(problem in message for message in error.value.message_dict["group"])


def test_only_a_group_question_has_a_group_field(projects):
    projects.kind = QuestionKind.SHORT_TEXT
    with pytest.raises(ValidationError, match="Seul un groupe répété a des sous-questions"):
        projects.full_clean()


def test_a_well_formed_group_is_accepted_by_the_admin(projects):
    projects.full_clean()


def test_staff_see_a_refused_group_edit_explained_on_the_admin_page(client, projects):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("admin"))
    url = reverse("admin:survey_question_change", args=[projects.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }  # fmt: skip
    data |= {
        "group": '{"item": "Projet", "questions": []}', "condition_codes": "[]",
        "recoding": "{}", "edition": projects.edition_id, "section": projects.section_id,
    }  # fmt: skip
    page = client.post(url, data)
    assert page.status_code == 200
    assert "un groupe répété a des sous-questions" in page.content.decode()


def test_a_group_behind_a_display_condition_is_saved_only_when_asked(client, small_survey):
    usages = small_survey.sections.get(slug="usages")
    group = QuestionFactory(
        section=usages, position=4, code="cas_usage", kind=QuestionKind.GROUP,
        text="Vos projets", group=PROJECTS, condition_question=usages.questions.get(
            code="usage_ia"), condition_codes=["oui"],
    )  # fmt: skip
    response = start_on_usages(client)
    data = {"q-cas_usage": "1", "q-cas_usage-1-nom": "Chatbot", "action": "later"}
    post(client, {**data, "q-usage_ia": "non"})
    assert not response.answers.filter(question=group).exists()
    post(client, {**data, "q-usage_ia": "oui"})
    assert response.answers.get(question=group).value == [{"nom": "Chatbot"}]
    page = client.get(reverse("section", args=["usages"])).content.decode()
    assert 'data-condition-question="q-usage_ia"' in page.split('id="question-cas_usage"')[1][:200]


def test_the_page_form_holds_the_fields_of_the_items_on_the_page_only(client, projects):
    from survey.collection.forms import SectionForm

    section = next(s for s in projects.edition.questionnaire() if s.slug == "usages")
    saved = SectionForm(section, {"cas_usage": [{"nom": "Chatbot"}]})
    assert "q-cas_usage-1-nom" in saved.fields and "q-cas_usage-2-nom" not in saved.fields
    posted = SectionForm(section, {}, {"q-cas_usage": "3", "q-cas_usage-removed": "2"})
    assert {"q-cas_usage-3-nom", "q-cas_usage-2-nom"} <= set(posted.fields)
    assert "q-cas_usage-1-nom" not in posted.fields
    # An item posted under any free index is read and saved.
    response = start_on_usages(client)
    post(client, {"q-usage_ia": "non", "q-cas_usage": "3", "q-cas_usage-3-nom": "Tri",
                  "action": "later"})  # fmt: skip
    assert response.answers.get(question=projects).value == [{"nom": "Tri"}]

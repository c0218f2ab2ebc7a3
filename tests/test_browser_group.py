"""Describing several projects in a real browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from survey.enums import QuestionKind
from tests.factories import QuestionFactory
from tests.helpers.browser import assert_accessible, saved, start
from tests.helpers.questionnaires import PROJECTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def projects(small_survey):
    return QuestionFactory(
        section=small_survey.sections.get(slug="usages"), position=4, code="cas_usage",
        kind=QuestionKind.GROUP, text="Vos projets d'IA, un par un", group=PROJECTS,
    )  # fmt: skip


def project(page, number):
    return page.get_by_role("region", name=f"Projet {number}", exact=True)


def names():
    return [item["nom"] for item in saved().get("cas_usage") or []]


def test_projects_are_added_removed_restored_and_saved_with_javascript(page, live_server, projects):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    add = page.get_by_role("button", name="Ajouter un projet")
    for name in ("Chatbot", "Tri des courriers", "Traduction"):
        add.click()
        page.keyboard.type(name)  # the new project's first field has the focus
    expect(add).to_be_hidden()  # three projects at most
    project(page, 2).get_by_label("En production").check()
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    project(page, 2).get_by_role("button", name="Retirer ce projet").click()
    expect(page.get_by_role("button", name="Annuler le retrait")).to_be_focused()
    expect(project(page, 2).get_by_label("Nom du projet")).to_have_value("Traduction")
    expect(add).to_be_visible()
    page.get_by_role("button", name="Annuler le retrait").click()  # back in its place
    expect(project(page, 2).get_by_label("Nom du projet")).to_have_value("Tri des courriers")
    page.once("dialog", lambda dialog: dialog.dismiss())  # asked, and refused: nothing changes
    project(page, 1).get_by_role("button", name="Retirer ce projet").click()
    expect(project(page, 1).get_by_label("Nom du projet")).to_have_value("Chatbot")
    page.once("dialog", lambda dialog: dialog.accept())
    project(page, 1).get_by_role("button", name="Retirer ce projet").click()
    expect(page.locator("#autosave-status")).to_contain_text("Enregistré à")
    assert names() == ["Tri des courriers", "Traduction"]
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_text("Vos réponses sont enregistrées")).to_be_visible()
    assert saved()["cas_usage"][0] == {
        "nom": "Tri des courriers",
        "stade": {"choice": "production"},
    }
    page.goto(live_server.url + "/questionnaire/usages/")
    expect(project(page, 1).get_by_label("Nom du projet")).to_have_value("Tri des courriers")
    expect(project(page, 3)).to_have_count(0)


def test_projects_are_added_removed_restored_and_saved_without_javascript(
    browser, live_server, projects
):
    page = browser.new_context(java_script_enabled=False).new_page()
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    for number, name in enumerate(("Chatbot", "Tri des courriers", "Traduction"), start=1):
        page.get_by_role("button", name="Ajouter un projet").click()
        expect(page.locator("#question-action-note")).to_contain_text(f"Projet {number} ajouté")
        expect(page).to_have_url(re.compile("#question-cas_usage$"))  # back where it was
        project(page, number).get_by_label("Nom du projet").fill(name)
    expect(page.get_by_role("button", name="Ajouter un projet")).to_have_count(0)
    project(page, 2).get_by_role("button", name="Retirer ce projet").click()
    expect(page.locator("#question-action-note")).to_contain_text("Projet 2 retiré")
    assert saved() == {}  # nothing is saved by these buttons
    page.get_by_role("button", name="Annuler le retrait").click()  # back in its place, as with JS
    expect(project(page, 2).get_by_label("Nom du projet")).to_have_value("Tri des courriers")
    project(page, 1).get_by_role("button", name="Retirer ce projet").click()
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_text("Vos réponses sont enregistrées")).to_be_visible()
    assert names() == ["Tri des courriers", "Traduction"]


def test_a_project_added_and_typed_while_offline_comes_back_after_a_reload(
    page, live_server, projects
):
    start(page, live_server)
    page.route("**/autosave/", lambda route: route.abort())
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_role("button", name="Ajouter un projet").click()
    page.keyboard.type("Chatbot")
    expect(page.locator("#autosave-status")).to_contain_text("Connexion perdue", timeout=15000)
    page.reload()
    expect(project(page, 1).get_by_label("Nom du projet")).to_have_value("Chatbot")
    expect(page.get_by_text("Saisie restaurée depuis ce navigateur")).to_be_visible()
    page.unroute("**/autosave/")
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_text("Vos réponses sont enregistrées")).to_be_visible()
    assert names() == ["Chatbot"]

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from survey.collection.models import Response
from survey.enums import ResponseStatus
from tests.helpers.browser import assert_accessible, fill_profile, resume_href, saved, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_respondent_fills_and_sends_the_whole_questionnaire(page, live_server, small_survey):
    start(page, live_server)
    page.get_by_role("link", name="Commencer").click()
    expect(page.get_by_text("Étape 1 sur 2")).to_be_visible()
    fill_profile(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    page.get_by_label("Oui").check()
    page.get_by_label("Eau").check()
    page.get_by_label("Décrivez vos projets.").fill("Analyse des fuites du réseau d'eau")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()
    expect(page.get_by_text("Analyse des fuites du réseau d'eau")).to_be_visible()
    page.get_by_role("button", name="Envoyer mes réponses").dblclick()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.submissions.count() == 1
    assert saved() == {
        "profil_fonction": {"choice": "dsi"},
        "profil_agents": 250,
        "usage_ia": {"choice": "oui"},
        "usage_domaines": {"choices": ["eau"]},
        "usage_description": "Analyse des fuites du réseau d'eau",
    }


def test_save_for_later_then_resume_in_a_fresh_browser(browser, live_server, small_survey):
    first = browser.new_context().new_page()
    start(first, live_server)
    first.get_by_role("link", name="Commencer").click()
    fill_profile(first)
    first.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(first.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    link = resume_href(first)
    first.context.close()

    other = browser.new_context().new_page()
    other.goto(link)
    expect(other.get_by_text("Étape 1 sur 2")).to_be_visible()  # profile never validated
    expect(other.get_by_label("Dsi")).to_be_checked()
    expect(other.get_by_label("Combien d’agents compte votre collectivité")).to_have_value("250")
    other.get_by_role("button", name="Enregistrer et continuer").click()
    other.get_by_label("Non").check()
    other.get_by_role("button", name="Enregistrer et continuer").click()
    other.get_by_role("button", name="Envoyer mes réponses").click()
    expect(other.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_dependent_questions_appear_and_disappear_live(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    domains = page.get_by_role("group", name="Dans quels domaines ?")
    expect(domains).to_be_hidden()
    page.get_by_label("Oui").check()
    expect(domains).to_be_visible()
    page.get_by_label("Eau").check()
    page.get_by_label("Non").check()
    expect(domains).to_be_hidden()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Vérifier mes réponses")).to_be_visible()
    assert "usage_domaines" not in saved()


def test_validation_errors_are_summarised_and_typed_values_kept(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    page.get_by_label("Combien d’agents compte votre collectivité").fill("-4")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Cette question est obligatoire.")
    expect(summary).to_contain_text("supérieur ou égal à 0")
    expect(page.get_by_label("Combien d’agents compte votre collectivité")).to_have_value("-4")
    summary.get_by_role("link", name="Quelle est votre fonction").click()
    expect(page.get_by_label("Direction")).to_be_focused()
    assert_accessible(page)


def test_the_deadline_passing_while_a_page_is_open(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    fill_profile(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Décrivez vos projets.").fill("Texte tapé juste avant minuit")
    small_survey.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    small_survey.save()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Le questionnaire est clos")).to_be_visible()
    expect(page.get_by_label("Décrivez vos projets.")).to_have_value(
        "Texte tapé juste avant minuit"
    )
    assert "usage_description" not in saved()
    assert saved()["profil_agents"] == 250
    assert_accessible(page)


def test_the_whole_path_works_without_javascript(browser, live_server, small_survey):
    page = browser.new_context(java_script_enabled=False).new_page()
    start(page, live_server)
    page.get_by_role("link", name="Commencer").click()
    page.get_by_label("Rechercher votre collectivité").fill("villeurbanne")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Villeurbanne").click()
    expect(page.locator("[data-picker-chosen]")).to_contain_text("Villeurbanne")
    page.get_by_label("Dsi").check()
    page.get_by_label("Combien d’agents compte votre collectivité").fill("250")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_text("À remplir seulement si vous avez répondu « Oui »")).to_be_visible()
    page.get_by_label("Oui").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#error-summary")).to_contain_text("Dans quels domaines")
    page.get_by_label("Mobilite").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    assert saved()["usage_domaines"] == {"choices": ["mobilite"]}


def test_autosave_keeps_typed_text_across_a_reload(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_label("Décrivez vos projets.").fill("Un assistant pour l'état civil")
    expect(page.locator("#autosave-status")).to_contain_text("Enregistré à")
    page.reload()
    expect(page.get_by_label("Décrivez vos projets.")).to_have_value(
        "Un assistant pour l'état civil"
    )
    assert saved() == {"usage_description": "Un assistant pour l'état civil"}


def test_a_lost_connection_never_loses_typed_text(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    page.context.set_offline(True)
    page.get_by_label("Décrivez vos projets.").fill("Tapé hors connexion")
    expect(page.locator("#autosave-status")).to_contain_text("Connexion perdue")
    page.context.set_offline(False)
    expect(page.locator("#autosave-status")).to_contain_text("Enregistré à", timeout=15000)
    assert saved() == {"usage_description": "Tapé hors connexion"}


def test_the_questionnaire_can_be_completed_with_the_keyboard_alone(
    page, live_server, small_survey
):
    page.goto(live_server.url)
    page.get_by_role("button", name="Commencer le questionnaire").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Commencer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Étape 1 sur 2")).to_be_visible()
    page.get_by_role("combobox", name="Rechercher votre collectivité").focus()
    page.keyboard.type("vaulx")
    expect(page.get_by_role("option", name="Vaulx-en-Velin")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("[data-picker-chosen]")).to_contain_text("Vaulx-en-Velin")
    page.get_by_label("Direction").focus()
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    expect(page.get_by_label("Dsi")).to_be_checked()
    page.keyboard.press("Tab")  # the « précisez » field shows only for « Autre »
    page.keyboard.type("80")
    page.keyboard.press("Enter")  # submits with the default button: « Enregistrer et continuer »
    expect(page.get_by_text("Étape 2 sur 2")).to_be_visible()
    page.get_by_label("Oui").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # first domain
    page.get_by_role("button", name="Enregistrer et continuer").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Envoyer mes réponses").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    assert saved()["usage_domaines"] == {"choices": ["mobilite"]}
    assert saved()["profil_agents"] == 80
    assert Response.objects.get().collectivite.name == "Vaulx-en-Velin"


def test_every_page_of_the_journey_is_accessible_and_fits_a_phone(
    browser, live_server, small_survey
):
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()

    def check():
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{page.url} is {width}px wide"

    page.goto(live_server.url)
    check()
    page.get_by_role("button", name="Commencer le questionnaire").click()
    check()
    page.get_by_role("link", name="Commencer").click()
    check()
    page.get_by_role("button", name="Enregistrer et continuer").click()  # with errors
    check()
    fill_profile(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Oui").check()
    check()
    page.get_by_label("Eau").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    check()
    for path in ("/reprendre/", "/confidentialite/", "/reprendre/lien-inconnu-xxxxxxxxxxxxxxx/"):
        page.goto(live_server.url + path)
        check()
    page.goto(live_server.url + "/reprendre/")
    page.get_by_label("Votre adresse électronique").fill("agent@mairie.fr")
    page.get_by_role("button", name="Recevoir mes liens").click()
    check()


def test_two_devices_editing_the_same_page_see_each_others_changes(
    browser, live_server, small_survey
):
    laptop = browser.new_context().new_page()
    link = start(laptop, live_server)
    phone = browser.new_context(java_script_enabled=False).new_page()
    phone.goto(link)
    laptop.goto(live_server.url + "/questionnaire/profil/")
    expect(phone.get_by_text("Étape 1 sur 2")).to_be_visible()
    laptop.get_by_label("Dsi").check()
    laptop.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    phone.get_by_label("Direction").check()
    phone.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    conflict = phone.locator("#conflict-summary")
    expect(conflict).to_contain_text("enregistré ailleurs : Dsi")
    assert saved()["profil_fonction"] == {"choice": "dsi"}
    expect(phone.get_by_label("Direction")).to_be_checked()  # the phone's choice is kept on screen
    phone.get_by_role("button", name="Enregistrer et reprendre plus tard").click()  # keeps it
    expect(phone.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved()["profil_fonction"] == {"choice": "direction"}


def test_on_a_shared_computer_a_respondent_leaves_and_the_next_person_sees_nothing(
    page, live_server, small_survey
):
    start(page, live_server)
    page.get_by_role("link", name="Commencer").click()
    fill_profile(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Non").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter de ce navigateur").click()
    expect(page.get_by_test_id("forgotten")).to_be_visible()
    assert_accessible(page)
    assert not [c for c in page.context.cookies() if c["name"] == "barometre_reprise"]
    page.goto(live_server.url + "/questionnaire/recapitulatif/")
    expect(page.get_by_text("Aucune réponse en cours dans ce navigateur")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter de ce navigateur")).to_have_count(0)
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert saved()["profil_agents"] == 250


def test_every_page_of_a_response_offers_to_leave_this_browser(page, live_server, small_survey):
    start(page, live_server)
    for path in ("/questionnaire/lien/", "/questionnaire/profil/", "/questionnaire/usages/",
                 "/questionnaire/recapitulatif/", "/questionnaire/supprimer/"):  # fmt: skip
        page.goto(live_server.url + path)
        expect(page.get_by_role("button", name="Se déconnecter de ce navigateur")).to_be_visible()
    page.goto(live_server.url + "/questionnaire/profil/")
    page.get_by_role("button", name="Se déconnecter de ce navigateur").click()
    expect(page.get_by_test_id("forgotten")).to_be_visible()
    assert Response.objects.count() == 1


# -- What autosave says, and the browser's copy of unsaved answers --------------------------

AUTOSAVE = "**/autosave/"
STATUS = "#autosave-status"


def local_copies(page):
    return page.evaluate(
        "Object.keys(localStorage).filter(function (k) { return k.indexOf('barometre:') === 0; })"
    )


def paused_clock(page):
    """Timers run only when the test says so: autosave fires on clock.run_for()."""
    moment = datetime.datetime(2030, 6, 2, 10, 0, tzinfo=datetime.UTC)
    page.clock.install(time=moment)
    page.clock.pause_at(moment + datetime.timedelta(hours=1))


def test_a_server_error_is_told_apart_from_a_lost_connection_and_not_retried_forever(
    page, live_server, small_survey
):
    start(page, live_server)
    calls = []

    def fail(route):
        calls.append(route.request.url)
        route.fulfill(status=500, content_type="text/html", body="<h1>Erreur</h1>")

    page.route(AUTOSAVE, fail)
    paused_clock(page)
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_label("Décrivez vos projets.").fill("Un texte")
    page.clock.run_for(2000)
    status = page.locator(STATUS)
    expect(status).to_contain_text("Le serveur n’a pas pu enregistrer vos dernières saisies")
    expect(status).to_contain_text("erreur 500")
    expect(status).not_to_contain_text("Connexion perdue")
    page.clock.run_for(5 * 60 * 1000)
    assert len(calls) == 1
    assert local_copies(page)  # the typed text stays in the browser


def test_autosave_names_the_answers_it_could_not_save_and_saves_the_others(
    page, live_server, small_survey
):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    page.get_by_label("Dsi").check()
    page.get_by_label("Combien d’agents compte votre collectivité").fill("²200")
    status = page.locator(STATUS)
    expect(status).to_contain_text(
        re.compile(r"Pas enregistré\s?:\s?«\s?Combien d’agents compte votre collectivité\s?\?\s?»")
    )
    expect(status).to_contain_text("chiffres de 0 à 9")
    expect(status).not_to_contain_text("Enregistré à")
    assert saved() == {"profil_fonction": {"choice": "dsi"}}
    page.get_by_label("Combien d’agents compte votre collectivité").fill("200")
    expect(status).to_contain_text("Enregistré à")
    assert saved()["profil_agents"] == 200


def test_a_refusal_of_the_server_says_what_happened(page, live_server, small_survey):
    start(page, live_server)
    page.route(
        AUTOSAVE,
        lambda route: route.fulfill(
            status=429, json={"message": "Trop de tentatives en peu de temps."}
        ),
    )
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_label("Décrivez vos projets.").fill("Un texte")
    expect(page.locator(STATUS)).to_have_text("Trop de tentatives en peu de temps.")


def type_unsaved(page, live_server, text):
    """Type on the « usages » page while autosave fails: the text is only in the browser."""
    page.route(AUTOSAVE, lambda route: route.abort())
    page.goto(live_server.url + "/questionnaire/usages/")
    page.get_by_label("Décrivez vos projets.").fill(text)
    expect(page.locator(STATUS)).to_contain_text("Connexion perdue")
    page.goto(live_server.url + "/questionnaire/profil/")  # before any retry can succeed
    page.unroute(AUTOSAVE)


def test_a_restored_copy_is_not_autosaved_over_newer_answers_from_another_device(
    browser, live_server, small_survey
):
    laptop = browser.new_context().new_page()
    link = start(laptop, live_server)
    type_unsaved(laptop, live_server, "Texte ancien du portable")
    phone = browser.new_context().new_page()
    phone.goto(link)
    phone.goto(live_server.url + "/questionnaire/usages/")
    phone.get_by_label("Décrivez vos projets.").fill("Texte récent du téléphone")
    expect(phone.locator(STATUS)).to_contain_text("Enregistré à")

    laptop.goto(live_server.url + "/questionnaire/usages/")
    expect(laptop.get_by_label("Décrivez vos projets.")).to_have_value("Texte ancien du portable")
    expect(laptop.locator(STATUS)).to_contain_text("Vérifiez-les, puis enregistrez la page")
    expect(laptop.locator("#question-usage_description")).to_contain_text("pas encore enregistrée")
    assert saved() == {"usage_description": "Texte récent du téléphone"}
    laptop.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(laptop.locator("#conflict-summary")).to_contain_text(
        "enregistré ailleurs : Texte récent du téléphone"
    )
    assert saved() == {"usage_description": "Texte récent du téléphone"}


@pytest.mark.parametrize("width", [320, 1280])
def test_a_page_saved_with_its_button_is_not_restored_over_newer_answers_from_another_device(
    browser, live_server, small_survey, width
):
    laptop = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    link = start(laptop, live_server)
    paused_clock(laptop)  # no autosave: the page's own button saves it
    laptop.goto(live_server.url + "/questionnaire/usages/")
    laptop.get_by_label("Décrivez vos projets.").fill("Valeur 1")
    laptop.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(laptop.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"usage_description": "Valeur 1"}

    phone = browser.new_context(viewport={"width": 320, "height": 640}).new_page()
    phone.goto(link)
    phone.goto(live_server.url + "/questionnaire/usages/")
    expect(phone.get_by_label("Décrivez vos projets.")).to_have_value("Valeur 1")
    phone.get_by_label("Décrivez vos projets.").fill("Valeur 2")
    phone.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(phone.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"usage_description": "Valeur 2"}

    laptop.goto(live_server.url + "/questionnaire/usages/")
    laptop.wait_for_load_state("load")  # the page's script has run
    expect(laptop.get_by_label("Décrivez vos projets.")).to_have_value("Valeur 2")
    expect(laptop.locator(".restored-note")).to_have_count(0)
    expect(laptop.locator(STATUS)).to_have_text("")
    assert local_copies(laptop) == []
    laptop.get_by_label("Décrivez vos projets.").fill("Valeur 3")
    laptop.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(laptop.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"usage_description": "Valeur 3"}  # no conflict with its own save


def test_the_copy_of_one_response_never_lands_in_another_on_a_shared_computer(
    page, live_server, small_survey
):
    start(page, live_server)
    type_unsaved(page, live_server, "Réponse de la première personne")
    page.context.clear_cookies()  # someone else starts on the same computer
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/usages/")
    page.wait_for_load_state("load")  # the page's script has run
    expect(page.get_by_label("Décrivez vos projets.")).to_have_value("")
    expect(page.locator(STATUS)).to_have_text("")
    assert all(not r.answers.exists() for r in Response.objects.all())


def test_sending_forgets_the_local_copies_of_the_response(page, live_server, small_survey):
    start(page, live_server)
    type_unsaved(page, live_server, "Gardé dans le navigateur")
    assert local_copies(page)
    fill_profile(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Oui").check()
    page.get_by_label("Eau").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("heading", name="Merci, vos réponses sont envoyées")).to_be_visible()
    page.wait_for_load_state("load")  # deferred scripts have run
    assert local_copies(page) == []


def test_deleting_the_draft_forgets_the_local_copies_of_the_response(
    page, live_server, small_survey
):
    start(page, live_server)
    type_unsaved(page, live_server, "Gardé dans le navigateur")
    assert local_copies(page)
    page.goto(live_server.url + "/questionnaire/supprimer/")
    page.get_by_role("button", name="Supprimer définitivement mon brouillon").click()
    expect(page.get_by_role("heading", name="Votre brouillon est supprimé")).to_be_visible()
    page.wait_for_load_state("load")  # deferred scripts have run
    assert local_copies(page) == []


def test_a_stale_page_saved_without_javascript_keeps_answers_changed_elsewhere(
    browser, live_server, small_survey
):
    laptop = browser.new_context().new_page()
    link = start(laptop, live_server)
    phone = browser.new_context(java_script_enabled=False).new_page()
    phone.goto(link)
    expect(phone.get_by_text("Étape 1 sur 2")).to_be_visible()
    laptop.goto(live_server.url + "/questionnaire/profil/")
    laptop.get_by_label("Combien d’agents compte votre collectivité").fill("20")
    laptop.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(laptop.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    phone.get_by_label("Direction").check()  # the phone shows no number of agents
    phone.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(phone.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"profil_fonction": {"choice": "direction"}, "profil_agents": 20}


def test_after_an_error_page_one_message_per_event(page, live_server, small_survey):
    start(page, live_server)
    paused_clock(page)  # no autosave: the copy in the browser is all there is
    page.goto(live_server.url + "/questionnaire/profil/")
    page.get_by_label("Combien d’agents compte votre collectivité").fill("-3")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator(STATUS)).to_have_text("")
    expect(page.get_by_label("Combien d’agents compte votre collectivité")).to_have_value("-3")


def test_numbers_come_back_grouped_and_are_accepted_back_unchanged(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    agents = page.get_by_label("Combien d’agents compte votre collectivité")
    agents.fill("2942857")
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    page.goto(live_server.url + "/questionnaire/profil/")
    expect(agents).to_have_value("2\u202f942\u202f857")
    page.get_by_label("Dsi").check()
    expect(page.locator(STATUS)).to_contain_text("Enregistré à")
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"profil_fonction": {"choice": "dsi"}, "profil_agents": 2942857}
    page.goto(live_server.url + "/questionnaire/profil/")
    agents.fill("2 942 858")
    expect(page.locator(STATUS)).to_contain_text("Enregistré à")
    assert saved()["profil_agents"] == 2942858
    page.reload()
    page.wait_for_load_state("load")  # the page's script has run
    expect(page.locator(STATUS)).to_have_text("")  # nothing to restore: all is saved
    expect(agents).to_have_value("2\u202f942\u202f858")


def test_a_value_typed_back_after_an_autosave_is_saved_by_the_page(page, live_server, small_survey):
    start(page, live_server)
    page.goto(live_server.url + "/questionnaire/profil/")
    agents = page.get_by_label("Combien d’agents compte votre collectivité")
    agents.fill("5")
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    paused_clock(page)
    page.goto(live_server.url + "/questionnaire/profil/")
    agents.fill("10")
    page.clock.run_for(2000)
    expect(page.locator(STATUS)).to_contain_text("Enregistré à")
    agents.fill("5")  # and the page is saved before the next autosave
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    expect(page.get_by_role("heading", name="Vos réponses sont enregistrées")).to_be_visible()
    assert saved() == {"profil_agents": 5}


def test_leaving_this_browser_forgets_the_unsaved_copies_too(page, live_server, small_survey):
    start(page, live_server)
    type_unsaved(page, live_server, "Texte de la personne qui s’en va")
    assert local_copies(page)
    page.get_by_role("button", name="Se déconnecter de ce navigateur").click()
    expect(page.get_by_test_id("forgotten")).to_be_visible()
    page.wait_for_load_state("load")  # deferred scripts have run
    assert local_copies(page) == []

"""What respondents read (issue 24): a taken collectivité said right after it is chosen, the
required-fields notice, the progress bar, French punctuation and names, the favicon, and the
staff's preview of a page."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from survey.collection.models import Response
from survey.typography import colon_after
from tests.helpers.html import nu_problems

pytestmark = pytest.mark.django_db

VILLEURBANNE = "216902641"


def start(client):
    client.post(reverse("start"))


def section(client, slug="profil", **query):
    return client.get(reverse("section", args=[slug]), query)


def colleague_has_villeurbanne(client_factory):
    first = client_factory()
    start(first)
    first.post(
        reverse("section", args=["profil"]), {"collectivite": VILLEURBANNE, "action": "later"}
    )
    return Response.objects.get(collectivite__siren=VILLEURBANNE)


# -- 12. A taken collectivité is said as soon as it is chosen ----------------------------------


def test_coming_back_from_the_search_with_a_taken_collectivite_says_so_at_once(
    client_factory, small_survey
):
    colleague_has_villeurbanne(client_factory)
    me = client_factory()
    start(me)
    page = section(me, collectivite=VILLEURBANNE)
    html = page.content.decode()
    assert page.status_code == 200
    assert "« Villeurbanne — 69 » a déjà une réponse en cours" in html.replace("\u00a0", " ")
    assert reverse("request_access", args=[VILLEURBANNE]) in html
    assert "Collectivité choisie" not in html  # not kept as the choice: it cannot be saved
    assert Response.objects.filter(collectivite__siren=VILLEURBANNE).count() == 1


def test_the_picker_script_learns_a_collectivite_is_taken_with_the_access_request_link(
    client_factory, small_survey
):
    colleague_has_villeurbanne(client_factory)
    me = client_factory()
    start(me)
    taken = me.get(reverse("collectivite_taken", args=[VILLEURBANNE])).json()
    assert taken["taken"] is True
    assert reverse("request_access", args=[VILLEURBANNE]) in taken["html"]
    assert "a déjà une réponse en cours" in taken["html"]
    free = me.get(reverse("collectivite_taken", args=["216902567"])).json()
    assert free == {"taken": False}
    unknown = me.get(reverse("collectivite_taken", args=["000000000"])).json()
    assert unknown == {"taken": False}


def test_the_taken_check_needs_a_response_in_the_browser(client, small_survey):
    page = client.get(reverse("collectivite_taken", args=[VILLEURBANNE]))
    assert page.status_code == 302 and page.url == reverse("home")


def test_ones_own_collectivite_is_not_taken(client, small_survey):
    start(client)
    client.post(
        reverse("section", args=["profil"]), {"collectivite": VILLEURBANNE, "action": "later"}
    )
    assert client.get(reverse("collectivite_taken", args=[VILLEURBANNE])).json() == {"taken": False}


# -- 13. The required-fields notice says what the buttons do ------------------------------------


def test_the_required_notice_says_starred_questions_are_needed_to_go_on(client, small_survey):
    start(client)
    html = section(client).content.decode().replace("\u00a0", " ")
    assert "obligatoires pour passer à la page suivante" in html
    assert "pour envoyer vos réponses" not in html
    # As it says: « continuer » refuses without them, « plus tard » keeps the page.
    refused = client.post(reverse("section", args=["profil"]), {"action": "continue"})
    assert refused.status_code == 422
    later = client.post(reverse("section", args=["profil"]), {"action": "later"})
    assert later.status_code == 302


# -- 16. What was left in English, doubled or straight ------------------------------------------


def test_the_progress_bar_counts_only_the_pages_before_on_arrival(client, small_survey):
    start(client)
    first = section(client).content.decode()
    assert '<progress class="w-100 mb-3" max="100" value="0"' in first
    client.post(
        reverse("section", args=["profil"]),
        {"collectivite": VILLEURBANNE, "q-profil_fonction": "dsi", "action": "continue"},
    )
    last = section(client, "usages").content.decode()
    assert "Étape 2 sur 2" in last and 'max="100" value="50"' in last


def test_an_error_on_a_question_ending_with_a_question_mark_has_no_colon_after_it(
    client, small_survey
):
    start(client)
    page = client.post(reverse("section", args=["profil"]), {"action": "continue"})
    summary = page.content.decode().split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Quelle est votre fonction\u00a0? Cette question est obligatoire." in summary
    assert "?\u00a0:" not in summary and "? :" not in summary


def test_a_label_introducing_what_follows_never_says_two_signs():
    assert colon_after("Nom du projet") == "Nom du projet\u00a0: "
    assert colon_after("IA générative ?") == "IA générative\u00a0? "
    assert colon_after("Précisez :") == "Précisez\u00a0: "


def test_search_results_use_the_typographic_apostrophe(client, small_survey):
    from tests.factories import CollectiviteFactory

    CollectiviteFactory(name="L'Île-Saint-Denis", siren="219300662")
    results = client.get(reverse("collectivite_search"), {"q": "ile saint denis"}).json()
    assert results["results"][0]["name"] == "L\u2019Île-Saint-Denis"
    assert "'" not in results["results"][0]["label"]


def test_scripts_put_a_narrow_no_break_space_before_a_colon():
    from django.conf import settings

    for script in ("combobox.js", "group.js", "journey.js"):
        code = (settings.BASE_DIR / "static" / "survey" / script).read_text()
        strings = re.findall(r'"(?:[^"\\]|\\.)*"', code)
        assert not [s for s in strings if " :" in s or " ;" in s], script


def test_every_page_names_a_favicon_that_whitenoise_serves(client, small_survey):
    home = client.get(reverse("home")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', home).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
    assert client.get("/favicon.ico").url == href


def test_the_technical_models_have_french_names_on_the_admin_index(client, settings):
    settings.ADMIN_OTP_REQUIRED = False
    client.force_login(User.objects.create_superuser("chef", "chef@example.fr", "x"))
    html = client.get(reverse("admin:index")).content.decode()
    for english in ("Static devices", "TOTP devices", "Task Results", "Task results"):
        assert english not in html
    assert "Codes de secours" in html and "Tâches en arrière-plan" in html


# -- 17. The staff's preview of a page ----------------------------------------------------------


def staff(client):
    user = User.objects.create_user("equipe", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_edition"))
    client.force_login(user)
    return client


def test_staff_preview_a_page_as_a_respondent_sees_it_without_creating_a_response(
    client, small_survey
):
    staff(client)
    url = reverse("admin:survey_edition_preview", args=[small_survey.pk, "usages"])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "rien n’est enregistré" in html
    assert "Dans quels domaines" in html  # shown although it depends on an answer
    assert "Enregistrer et continuer" not in html and 'name="action"' not in html
    assert html.count(" disabled") >= 5
    assert not Response.objects.exists()
    first = client.get(reverse("admin:survey_edition_preview", args=[small_survey.pk, "profil"]))
    assert "Rechercher votre collectivité" in first.content.decode()
    assert not Response.objects.exists()


def test_the_preview_is_for_staff_who_may_see_editions(client, small_survey):
    url = reverse("admin:survey_edition_preview", args=[small_survey.pk, "usages"])
    assert client.get(url).status_code == 302  # to the admin's login
    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    assert client.get(url).status_code == 403
    staff(client)
    missing = reverse("admin:survey_edition_preview", args=[small_survey.pk, "nulle-part"])
    assert client.get(missing).status_code == 404


def test_the_edition_and_section_admin_pages_link_to_the_preview(client, small_survey, settings):
    settings.ADMIN_OTP_REQUIRED = False
    client.force_login(User.objects.create_superuser("chef", "chef@example.fr", "x"))
    url = reverse("admin:survey_edition_preview", args=[small_survey.pk, "usages"])
    edition = client.get(reverse("admin:survey_edition_change", args=[small_survey.pk]))
    assert url in edition.content.decode()
    sections = client.get(reverse("admin:survey_section_changelist")).content.decode()
    assert url in sections


def test_the_new_pages_pass_the_nu_html_checker(client_factory, small_survey, tmp_path):
    colleague_has_villeurbanne(client_factory)
    me = client_factory()
    start(me)
    viewer = staff(client_factory())
    pages = [
        ("taken", section(me, collectivite=VILLEURBANNE).content.decode()),
        ("errors", me.post(reverse("section", args=["profil"]), {"action": "continue"})),
        (
            "preview",
            viewer.get(
                reverse("admin:survey_edition_preview", args=[small_survey.pk, "profil"])
            ).content.decode(),
        ),
    ]
    pages[1] = ("errors", pages[1][1].content.decode())
    assert nu_problems(pages, tmp_path) == []

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from survey.models import AccessRequest, Answer, Collectivite, Respondent, Response

pytestmark = pytest.mark.django_db

VILLEURBANNE = "216902641"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def start(client, email):
    client.post(reverse("start"), {"email": email})
    return Response.objects.latest("created_at")


def save_profile(client, data, action="later"):
    return client.post(reverse("section", args=["profil"]), {**data, "action": action})


@pytest.fixture
def first(client_factory, small_survey):
    browser = client_factory()
    response = start(browser, "premiere@villeurbanne.fr")
    page = save_profile(browser, {"collectivite": VILLEURBANNE, "q-profil_agents": "2000"})
    assert page.status_code == 302
    browser.response = response
    return browser


def test_the_profile_page_records_the_chosen_collectivite(first):
    response = first.response
    response.refresh_from_db()
    assert response.collectivite.siren == VILLEURBANNE
    page = first.get(reverse("section", args=["profil"])).content.decode()
    assert "Collectivité choisie : <strong>Villeurbanne" in page


def test_continuing_without_a_collectivite_is_refused(client, small_survey):
    start(client, "")
    page = save_profile(client, {"q-profil_fonction": "dsi"}, action="continue")
    assert page.status_code == 422
    assert "Choisissez votre collectivité dans la liste" in page.content.decode()


def test_saving_for_later_without_a_collectivite_is_allowed(client, small_survey):
    start(client, "")
    assert save_profile(client, {"q-profil_fonction": "dsi"}).status_code == 302


def test_another_structure_needs_a_valid_siren(client, small_survey):
    response = start(client, "")
    data = {"other_structure": "on", "other_name": "Syndicat des eaux", "other_siren": "123456789"}
    page = save_profile(client, data, action="continue")
    assert page.status_code == 422
    assert "SIREN" in page.content.decode()
    data["other_siren"] = "123 456 782"
    save_profile(client, data)
    response.refresh_from_db()
    assert (response.other_structure_name, response.other_structure_siren) == (
        "Syndicat des eaux",
        "123456782",
    )


def test_a_second_person_cannot_take_over_a_collectivite_that_has_a_response(first, client_factory):
    second = client_factory()
    newcomer = start(second, "second@villeurbanne.fr")
    page = save_profile(second, {"collectivite": VILLEURBANNE, "q-profil_agents": "1"})
    html = page.content.decode()
    assert page.status_code == 409
    assert "a déjà une réponse en cours" in html
    assert "premiere@villeurbanne.fr" not in html  # the first respondent stays anonymous
    newcomer.refresh_from_db()
    assert newcomer.collectivite is None
    assert Answer.objects.filter(response=newcomer).count() == 0
    assert Answer.objects.get(response=first.response).value == 2000


def test_the_access_request_flow_shares_the_response_end_to_end(first, client_factory):
    second = client_factory()
    start(second, "second@villeurbanne.fr")
    mail.outbox.clear()
    ask = second.get(reverse("request_access", args=[VILLEURBANNE]))
    assert 'value="second@villeurbanne.fr"' in ask.content.decode()
    page = second.post(
        reverse("request_access", args=[VILLEURBANNE]), {"email": "second@villeurbanne.fr"}
    )
    assert "Votre demande est transmise" in page.content.decode()
    assert [m.to for m in mail.outbox] == [["premiere@villeurbanne.fr"]]
    grant_link = re.search(r"(http://\S+/acces/\S+/)", mail.outbox[0].body).group(1)

    # Mail scanners open links: showing the page shares nothing.
    assert "Partager la réponse" in first.get(grant_link).content.decode()
    assert AccessRequest.objects.get().granted_at is None
    mail.outbox.clear()
    assert "Réponse partagée" in first.post(grant_link).content.decode()
    assert [m.to for m in mail.outbox] == [["second@villeurbanne.fr"]]
    resume_link = re.search(r"(http://\S+/reprendre/\S+/)", mail.outbox[0].body).group(1)

    newcomer_browser = client_factory()
    newcomer_browser.get(resume_link)
    page = newcomer_browser.get(reverse("section", args=["profil"])).content.decode()
    assert 'value="2\u202f000"' in page  # the shared response, with the first person's answers
    assert Respondent.objects.filter(response=first.response).count() == 2


def test_an_access_request_for_a_free_collectivite_sends_back_to_the_picker(client, small_survey):
    start(client, "")
    page = client.get(reverse("request_access", args=[VILLEURBANNE]))
    assert page.url.endswith(f"?collectivite={VILLEURBANNE}")


def test_an_unknown_grant_link_is_not_found(client, small_survey):
    assert client.get(reverse("grant_access", args=["z" * 43])).status_code == 404


def test_type_band_departement_and_region_come_from_the_reference_data(first):
    response = Response.objects.select_related("collectivite").get(pk=first.response.pk)
    collectivite = Collectivite.objects.get(siren=VILLEURBANNE)
    assert response.collectivite.population_band == collectivite.population_band == "gt100000"
    assert response.collectivite.departement_code == "69"


# -- Staff fix duplicates ----------------------------------------------------------------------


@pytest.fixture
def superuser_client(client_factory):
    from django.contrib.auth.models import User

    browser = client_factory()
    browser.force_login(User.objects.create_superuser("chef", password="x" * 20))
    return browser


def test_staff_reassign_a_response_and_the_history_says_so(first, superuser_client):
    from django.contrib.admin.models import LogEntry

    url = reverse("admin:survey_response_reassign", args=[first.response.pk])
    page = superuser_client.post(url, {"code": "216902567"})
    assert page.status_code == 302
    first.response.refresh_from_db()
    assert first.response.collectivite.name == "Vaulx-en-Velin"
    entry = LogEntry.objects.get(object_id=str(first.response.pk))
    assert "Réattribuée de « Villeurbanne" in entry.get_change_message()


def test_reassigning_to_a_collectivite_that_has_a_response_suggests_a_merge(
    first, client_factory, superuser_client
):
    other = client_factory()
    other_response = start(other, "")
    save_profile(other, {"collectivite": "216902567"})
    url = reverse("admin:survey_response_reassign", args=[other_response.pk])
    page = superuser_client.post(url, {"code": VILLEURBANNE})
    assert page.status_code == 200 and "fusionnez les deux réponses" in page.content.decode()


def test_staff_merge_two_duplicates_keeping_the_chosen_answers(
    first, client_factory, superuser_client
):
    duplicate_browser = client_factory()
    duplicate = start(duplicate_browser, "doublon@villeurbanne.fr")
    save_profile(duplicate_browser, {"q-profil_agents": "5", "q-profil_fonction": "dsi"})
    kept = first.response
    page = superuser_client.post(
        reverse("admin:survey_response_changelist"),
        {"action": "merge_duplicates", "_selected_action": [kept.pk, duplicate.pk],
         "keep": kept.pk},
    )  # fmt: skip
    assert page.status_code == 302
    assert not Response.objects.filter(pk=duplicate.pk).exists()
    values = {a.question.code: a.value for a in kept.answers.select_related("question")}
    assert values == {"profil_agents": 2000, "profil_fonction": {"choice": "dsi"}}
    assert set(kept.respondents.values_list("email", flat=True)) == {
        "premiere@villeurbanne.fr",
        "doublon@villeurbanne.fr",
    }
    assert duplicate_browser.get(reverse("section", args=["profil"])).status_code == 200


def test_the_observatoire_group_cannot_reassign_nor_merge(first, client_factory):
    from django.contrib.auth.models import Group, User

    analyst = User.objects.create_user("analyste", password="x" * 20, is_staff=True)
    analyst.groups.add(Group.objects.get(name="Observatoire"))
    browser = client_factory()
    browser.force_login(analyst)
    url = reverse("admin:survey_response_reassign", args=[first.response.pk])
    assert browser.post(url, {"code": "216902567"}).status_code == 403
    change = browser.get(reverse("admin:survey_response_change", args=[first.response.pk]))
    assert "Réattribuer" not in change.content.decode()

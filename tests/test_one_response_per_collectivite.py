import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from survey.collection.models import AccessRequest, Answer, Respondent, Response
from survey.collectivites.models import Collectivite
from survey.typography import typeset

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
    assert typeset("Collectivité choisie : <strong>Villeurbanne") in page


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


def test_a_collectivite_already_taken_is_said_once_with_the_way_to_contribute(
    first, client_factory
):
    second = client_factory()
    start(second, "second@villeurbanne.fr")
    page = save_profile(second, {"collectivite": VILLEURBANNE})
    html = page.content.decode()
    assert page.status_code == 409
    assert html.count("une seule réponse par collectivité") == 1
    assert html.count("Demander à contribuer") == 1
    assert 'id="error-summary"' not in html
    # The taken collectivité is no longer the choice: saving again does not hit it again.
    assert 'value="216902641"' not in html


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


# -- Grant links: single use, expiry, revocation ------------------------------------------------


@pytest.fixture
def grant_link(first, client_factory):
    second = client_factory()
    start(second, "second@villeurbanne.fr")
    second.post(reverse("request_access", args=[VILLEURBANNE]), {"email": "second@villeurbanne.fr"})
    return re.search(r"(/acces/\S+/)", mail.outbox[-1].body).group(1)


def test_a_grant_link_works_only_once(first, grant_link):
    respondents = Respondent.objects.count()
    mail.outbox.clear()
    pages = [first.post(grant_link) for _ in range(3)]
    assert "Réponse partagée" in pages[0].content.decode()
    assert all("déjà accepté" in page.content.decode() for page in pages[1:])
    assert Respondent.objects.count() == respondents + 1
    assert len(mail.outbox) == 1


def test_an_expired_grant_link_shares_nothing(first, grant_link):
    import time_machine

    mail.outbox.clear()
    later = AccessRequest.objects.get().created_at + AccessRequest.VALID_FOR
    with time_machine.travel(later, tick=False):
        page = first.post(grant_link)
    assert page.status_code == 410 and "a expiré" in page.content.decode()
    assert AccessRequest.objects.get().granted_at is None and mail.outbox == []


def test_staff_revoke_a_grant_link_in_the_admin(first, grant_link, client_factory):
    from django.contrib.auth.models import User

    admin = client_factory()
    admin.force_login(User.objects.create_superuser("chef", password="x" * 20))
    page = admin.post(
        reverse("admin:survey_accessrequest_changelist"),
        {"action": "revoke", "_selected_action": [AccessRequest.objects.get().pk]},
    )
    assert page.status_code == 302
    mail.outbox.clear()
    page = first.post(grant_link)
    assert page.status_code == 410 and "révoqué" in page.content.decode()
    assert AccessRequest.objects.get().granted_at is None and mail.outbox == []


# -- Corrections after the close ----------------------------------------------------------------


@pytest.fixture
def closed(first, small_survey):
    import datetime

    from django.utils import timezone

    small_survey.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    small_survey.save()
    return first.response


def staff_with(client_factory, *codenames):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("correcteur", password="x" * 20, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    browser = client_factory()
    browser.force_login(user)
    return browser


def test_after_the_close_only_a_dedicated_permission_may_reassign_or_merge(
    closed, client_factory, small_survey
):
    from tests.factories import ResponseFactory

    duplicate = ResponseFactory(edition=small_survey)
    staff = staff_with(client_factory, "view_response", "change_response")
    url = reverse("admin:survey_response_reassign", args=[closed.pk])
    assert staff.post(url, {"code": "216902567", "reason": "doublon"}).status_code == 403
    staff.post(
        reverse("admin:survey_response_changelist"),
        {"action": "merge_duplicates", "_selected_action": [closed.pk, duplicate.pk],
         "keep": closed.pk, "reason": "doublon"},
    )  # fmt: skip
    assert Response.objects.filter(pk=duplicate.pk).exists()
    closed.refresh_from_db()
    assert closed.collectivite.siren == VILLEURBANNE


def test_a_correction_after_the_close_needs_a_reason_that_the_history_keeps(
    closed, client_factory, small_survey
):
    from django.contrib.admin.models import LogEntry

    from tests.factories import ResponseFactory

    staff = staff_with(client_factory, "view_response", "change_response", "correct_after_close")
    url = reverse("admin:survey_response_reassign", args=[closed.pk])
    page = staff.post(url, {"code": "216902567"})
    assert page.status_code == 200 and "Ce champ est obligatoire" in page.content.decode()
    assert staff.post(url, {"code": "216902567", "reason": "erreur de saisie"}).status_code == 302
    duplicate = ResponseFactory(edition=small_survey)
    merge = {"action": "merge_duplicates", "_selected_action": [closed.pk, duplicate.pk],
             "keep": closed.pk}  # fmt: skip
    page = staff.post(reverse("admin:survey_response_changelist"), merge)
    assert "Indiquez le motif" in page.content.decode()
    staff.post(reverse("admin:survey_response_changelist"), merge | {"reason": "doublon"})
    assert not Response.objects.filter(pk=duplicate.pk).exists()
    messages = [e.get_change_message() for e in LogEntry.objects.order_by("pk")]
    assert "Motif : erreur de saisie" in messages[0] and "Motif : doublon" in messages[1]


# -- Which collectivités have answered --------------------------------------------------------


def test_probing_which_collectivites_have_a_response_is_rate_limited(client, first, small_survey):
    start(client, "")
    statuses = [
        client.get(reverse("request_access", args=[VILLEURBANNE])).status_code for _ in range(31)
    ]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    privacy = client.get(reverse("privacy")).content.decode()
    assert "information publique" in privacy

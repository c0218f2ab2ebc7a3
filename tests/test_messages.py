"""What respondents are told along the journey: one message per event, following the status."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from survey.collection.models import Response

pytestmark = pytest.mark.django_db

VILLEURBANNE = "216902641"


def start(client):
    assert client.post(reverse("start"), {"email": ""}).status_code == 302
    return Response.objects.latest("created_at")


def save(client, slug, data, action="continue"):
    return client.post(reverse("section", args=[slug]), {**data, "action": action})


def send_answers(client):
    response = start(client)
    save(client, "profil", {"collectivite": VILLEURBANNE, "q-profil_fonction": "dsi"})
    save(client, "usages", {"q-usage_ia": "non"})
    assert client.post(reverse("review")).url == reverse("sent")
    response.refresh_from_db()
    assert response.is_submitted
    return response


def text(page):
    return page.content.decode()


def test_after_sending_the_landing_page_says_sent_not_in_progress(client, small_survey):
    send_answers(client)
    home = text(client.get(reverse("home")))
    assert "réponse en cours" not in home
    assert "Continuer mes réponses" not in home
    assert "Réponses envoyées le" in home
    assert "consulter ou modifier jusqu" in home
    assert "Consulter ou modifier mes réponses" in home


def test_a_colleague_picking_a_sent_collectivite_is_told_it_was_sent(client_factory, small_survey):
    send_answers(client_factory())
    colleague = client_factory()
    start(colleague)
    page = save(colleague, "profil", {"collectivite": VILLEURBANNE}, action="later")
    assert page.status_code == 409
    assert "réponse en cours" not in text(page)
    assert "a déjà une réponse, envoyée le" in text(page)


def test_a_colleague_picking_a_draft_collectivite_is_told_it_is_in_progress(
    client_factory, small_survey
):
    first = client_factory()
    start(first)
    save(first, "profil", {"collectivite": VILLEURBANNE}, action="later")
    colleague = client_factory()
    start(colleague)
    page = save(colleague, "profil", {"collectivite": VILLEURBANNE}, action="later")
    assert page.status_code == 409
    assert "a déjà une réponse en cours" in text(page)


def test_the_status_wording_lives_on_the_response(small_survey):
    small_survey.opens_at = timezone.make_aware(datetime.datetime(2025, 1, 1))
    small_survey.save()
    response = Response.objects.create(edition=small_survey)
    assert "pas encore envoyée" in response.status_text
    assert response.continue_label == "Continuer mes réponses"
    response.submit(now=timezone.make_aware(datetime.datetime(2025, 6, 3, 14, 5)))
    assert response.status_text.startswith("Réponses envoyées le 3 juin 2025 à 14 h 05 — ")
    assert "consulter ou modifier jusqu" in response.status_text
    small_survey.closes_at = timezone.now() - datetime.timedelta(days=1)
    assert response.status_text == "Réponses envoyées le 3 juin 2025 à 14 h 05."


def test_the_review_page_of_a_sent_response_shows_its_status(client, small_survey):
    response = send_answers(client)
    page = text(client.get(reverse("review")))
    assert response.status_text.split(" — ")[0] in page


def test_a_closed_edition_does_not_also_say_it_is_open_until_its_closing(client, small_survey):
    small_survey.opens_at = timezone.now() - datetime.timedelta(days=60)
    small_survey.closes_at = timezone.now() - datetime.timedelta(days=1)
    small_survey.save()
    home = text(client.get(reverse("home")))
    assert "clos depuis le" in home
    assert "ouvert jusqu" not in home


def test_saving_for_later_says_the_answers_are_saved_once(client, small_survey):
    start(client)
    page = save(client, "profil", {"q-profil_agents": "12"}, action="later")
    landing = text(client.get(page.url))
    assert landing.count("Vos réponses sont enregistrées") == 1


# -- Contact, legal notice, accessibility statement ------------------------------------------


def test_the_access_request_confirmation_gives_an_address_to_write_to(
    client_factory, small_survey, settings
):
    settings.CONTACT_EMAIL = "barometre@observatoire.example"
    first = client_factory()
    start(first)
    save(first, "profil", {"collectivite": VILLEURBANNE}, action="later")
    colleague = client_factory()
    start(colleague)
    url = reverse("request_access", args=[VILLEURBANNE])
    page = text(colleague.post(url, {"email": "collegue@villeurbanne.fr"}))
    assert 'href="mailto:barometre@observatoire.example"' in page


def test_the_privacy_page_gives_the_contact_address(client, small_survey, settings):
    settings.CONTACT_EMAIL = "barometre@observatoire.example"
    page = text(client.get(reverse("privacy")))
    assert "indiquée dans les courriels" not in page
    assert 'href="mailto:barometre@observatoire.example"' in page


def test_the_footer_links_the_legal_notice_and_the_accessibility_statement(client, small_survey):
    home = text(client.get(reverse("home")))
    assert f'href="{reverse("legal_notice")}">Mentions légales</a>' in home
    assert f'href="{reverse("accessibility")}">Accessibilité' in home
    assert "partiellement conforme" in home


def test_the_accessibility_statement_follows_the_rgaa_model(client, small_survey, settings):
    settings.CONTACT_EMAIL = "barometre@observatoire.example"
    page = text(client.get(reverse("accessibility")))
    for heading in (
        "État de conformité",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d",
        "Voies de recours",
    ):
        assert heading in page
    assert "partiellement conforme" in page and "Défenseur des droits" in page
    assert "mailto:barometre@observatoire.example" in page


def test_the_legal_notice_names_the_publisher_and_the_host(client, small_survey, settings):
    settings.LEGAL_HOSTING = "Hébergeur Exemple SAS, 1 rue de la Paix, 75002 Paris"
    page = text(client.get(reverse("legal_notice")))
    assert "Observatoire Data Publica" in page
    assert "Hébergeur Exemple SAS" in page


def test_the_readme_documents_the_contact_address():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "| `CONTACT_EMAIL` |" in readme


def test_the_resume_links_email_says_which_responses_were_sent(client, small_survey):
    from django.core import mail

    response = send_answers(client)
    response.respondents.update(email="agent@mairie.fr")
    client.post(reverse("resume_by_email"), {"email": "agent@mairie.fr"})
    body = mail.outbox[-1].body
    assert "questionnaire en cours" not in body
    assert "Réponses envoyées le" in body

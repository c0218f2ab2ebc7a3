import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from survey.collection.models import (
    Answer,
    Respondent,
    Response,
    ResponseSubmission,
    ResumeToken,
)
from survey.collection.pages import RESUME_COOKIE
from survey.enums import ResponseStatus
from survey.typography import typeset
from tests.helpers.journey import answers, save, start

pytestmark = pytest.mark.django_db


def test_starting_creates_a_draft_and_shows_the_personal_resume_link(client, small_survey):
    response = start(client, email="agent@mairie.fr")
    assert response.status == ResponseStatus.DRAFT
    page = client.get(reverse("resume_link"))
    link = re.search(r'data-testid="resume-link" href="([^"]+)"', page.content.decode())
    assert link and link.group(1).startswith("http://")
    token = link.group(1).rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits
    respondent = Respondent.objects.get(response=response)
    assert not respondent.tokens.filter(token_hash=token).exists()  # only the hash is stored
    # The email carries a link of its own, made when it was sent: the same response.
    assert len(mail.outbox) == 1
    emailed = re.search(r"http://\S+/reprendre/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert ResumeToken.find_respondent(emailed) == respondent


def test_starting_without_email_sends_nothing(client, small_survey):
    start(client)
    assert mail.outbox == []


def test_a_bad_email_at_start_is_refused_with_a_french_message(client, small_survey):
    page = client.post(reverse("start"), {"email": "pas-une-adresse"})
    assert page.status_code == 400
    assert "Saisissez une adresse électronique simple" in page.content.decode()
    assert not Response.objects.exists()


def test_continue_with_a_missing_required_answer_keeps_typed_values(client, small_survey):
    start(client)
    page = save(client, "profil", {"q-profil_agents": "120"})
    html = page.content.decode()
    assert page.status_code == 422
    assert 'id="error-summary"' in html and "Cette question est obligatoire." in html
    assert 'href="#id_q-profil_fonction_0"' in html
    assert 'value="120"' in html
    assert Answer.objects.count() == 0


def test_continue_saves_the_page_and_goes_to_the_next(client, small_survey):
    response = start(client)
    page = save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "1 200"})
    assert page.url == reverse("section", args=["usages"])
    assert answers(response) == {"profil_fonction": {"choice": "dsi"}, "profil_agents": 1200}
    response.refresh_from_db()
    assert response.completed_sections == ["profil"]
    assert response.progress == 50  # 2 of the 4 asked questions


def test_save_for_later_accepts_an_incomplete_page_but_not_invalid_values(client, small_survey):
    response = start(client)
    page = save(client, "profil", {"q-profil_agents": "12"}, action="later")
    assert page.url == reverse("resume_link")
    assert answers(response) == {"profil_agents": 12}
    page = save(client, "profil", {"q-profil_agents": "douze"}, action="later")
    assert page.status_code == 422
    assert "Saisissez un nombre entier en chiffres" in page.content.decode()
    assert answers(response) == {"profil_agents": 12}


def test_the_other_choice_needs_its_text(client, small_survey):
    start(client)
    page = save(client, "profil", {"q-profil_fonction": "autre"}, action="later")
    assert "précisez votre réponse" in page.content.decode()


def test_previous_saves_too(client, small_survey):
    response = start(client)
    page = save(client, "usages", {"q-usage_description": "Un chatbot"}, action="previous")
    assert page.url == reverse("section", args=["profil"])
    assert answers(response) == {"usage_description": "Un chatbot"}


def test_a_question_whose_condition_is_false_is_not_required(client, small_survey):
    response = start(client)
    page = save(client, "usages", {"q-usage_ia": "non"})
    assert page.status_code == 302
    assert answers(response) == {"usage_ia": {"choice": "non"}}


def test_a_question_whose_condition_is_true_is_required(client, small_survey):
    start(client)
    page = save(client, "usages", {"q-usage_ia": "oui"})
    assert page.status_code == 422
    assert "Dans quels domaines" in page.content.decode()


def test_an_answer_that_becomes_hidden_is_kept_but_not_shown_for_review(client, small_survey):
    response = start(client)
    save(client, "usages", {"q-usage_ia": "oui", "q-usage_domaines": ["eau"]})
    save(client, "usages", {"q-usage_ia": "non", "q-usage_domaines": ["mobilite"]})
    assert answers(response)["usage_domaines"] == {"choices": ["eau"]}  # kept, untouched
    review = client.get(reverse("review")).content.decode()
    assert "Dans quels domaines" not in review


def test_the_resume_link_opens_the_first_incomplete_page_in_another_browser(
    client, client_factory, small_survey
):
    start(client)
    save(client, "profil", {"q-profil_fonction": "dsi"})
    link = re.search(r'href="(http[^"]+)"', client.get(reverse("resume_link")).content.decode())
    other = client_factory()
    page = other.get(link.group(1))
    assert page.url == reverse("section", args=["usages"])
    assert other.get(reverse("section", args=["profil"])).content.decode().count("checked") == 1


def test_a_tampered_resume_token_is_not_found(client, small_survey):
    start(client)
    page = client.get(reverse("resume", args=["x" * 43]))
    assert page.status_code == 404
    assert "n’est pas valable" in page.content.decode()


def test_pages_without_a_response_send_back_to_the_landing_page(client, small_survey):
    assert client.get(reverse("section", args=["profil"])).url == reverse("home")
    assert client.post(reverse("review")).url == reverse("home")


def test_resume_by_email_says_the_same_thing_whether_the_address_is_known_or_not(
    client, client_factory, small_survey
):
    start(client, email="agent@mairie.fr")
    mail.outbox.clear()
    known = client_factory().post(reverse("resume_by_email"), {"email": "AGENT@mairie.fr"})
    unknown = client_factory().post(reverse("resume_by_email"), {"email": "autre@mairie.fr"})

    def without_address(page):
        html = page.content.decode()
        return html.replace("AGENT@mairie.fr", "").replace("autre@mairie.fr", "")

    assert without_address(known) == without_address(unknown)
    assert len(mail.outbox) == 1
    link = re.search(r"(http://\S+/reprendre/\S+/)", mail.outbox[0].body).group(1)
    assert client_factory().get(link).status_code == 302


def test_review_flags_missing_required_answers_and_refuses_to_send(client, small_survey):
    response = start(client)
    page = client.get(reverse("review")).content.decode()
    assert "Il manque 3 réponses obligatoires" in page
    assert client.post(reverse("review")).status_code == 422
    response.refresh_from_db()
    assert response.status == ResponseStatus.DRAFT


def fill_everything(client):
    save(client, "profil", {"q-profil_fonction": "dsi"})
    save(client, "usages", {"q-usage_ia": "oui", "q-usage_domaines": ["eau", "mobilite"]})


def test_sending_twice_records_a_single_sending(client, small_survey):
    response = start(client, email="agent@mairie.fr")
    fill_everything(client)
    mail.outbox.clear()
    assert client.post(reverse("review")).url == reverse("sent")
    assert client.post(reverse("review")).url == reverse("sent")
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert ResponseSubmission.objects.filter(response=response).count() == 1
    assert len(mail.outbox) == 1 and typeset("Mobilite ; Eau") in mail.outbox[0].body


def test_a_sent_response_can_be_changed_and_sent_again_keeping_both_dates(client, small_survey):
    response = start(client)
    fill_everything(client)
    client.post(reverse("review"))
    save(client, "usages", {"q-usage_ia": "oui", "q-usage_domaines": ["eau"]})
    client.post(reverse("review"))
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.submissions.count() == 2
    page = client.get(reverse("sent")).content.decode()
    assert "Envois successifs" in page


def test_autosave_stores_only_the_fields_it_receives(client, small_survey):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "dsi"}, action="later")
    result = client.post(reverse("autosave", args=["profil"]), {"q-profil_agents": "40"})
    assert result.status_code == 200 and result.json()["saved"]
    assert re.fullmatch(r"\d\d h \d\d", result.json()["saved_at"])
    assert answers(response) == {"profil_fonction": {"choice": "dsi"}, "profil_agents": 40}


def test_autosave_reports_invalid_values_without_storing_them(client, small_survey):
    response = start(client)
    result = client.post(reverse("autosave", args=["profil"]), {"q-profil_agents": "-3"})
    assert "q-profil_agents" in result.json()["errors"]
    assert answers(response) == {}


# -- The deadline -------------------------------------------------------------------------


@pytest.fixture
def closed(small_survey):
    def close():
        small_survey.opens_at = timezone.now() - datetime.timedelta(days=60)
        small_survey.closes_at = timezone.now() - datetime.timedelta(seconds=1)
        small_survey.save()

    return close


def test_after_closing_every_write_is_refused_and_saved_answers_stay(client, closed):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "5"})
    before = answers(response)
    closed()
    page = save(client, "profil", {"q-profil_fonction": "direction", "q-profil_agents": "9"})
    assert page.status_code == 403
    html = page.content.decode()
    assert "Le questionnaire est clos" in html and 'value="9"' in html  # typed text shown back
    auto = client.post(reverse("autosave", args=["profil"]), {"q-profil_agents": "7"})
    assert auto.status_code == 403 and "clos" in auto.json()["message"]
    assert client.post(reverse("review")).status_code == 403
    assert client.post(reverse("start")).status_code == 403
    assert answers(response) == before
    assert Response.objects.count() == 1
    response.refresh_from_db()
    assert response.status == ResponseStatus.DRAFT


def test_after_closing_saved_answers_stay_readable_by_their_respondent(client, closed):
    start(client)
    save(client, "profil", {"q-profil_fonction": "dsi"})
    closed()
    page = client.get(reverse("section", args=["profil"])).content.decode()
    assert "checked disabled" in page and "Enregistrer et continuer" not in page
    assert "Dsi" in client.get(reverse("review")).content.decode()


def test_before_opening_nothing_can_start(client, small_survey):
    small_survey.opens_at = timezone.now() + datetime.timedelta(days=1)
    small_survey.closes_at = timezone.now() + datetime.timedelta(days=30)
    small_survey.save()
    assert client.post(reverse("start")).status_code == 403
    assert "Le questionnaire ouvrira le" in client.get(reverse("home")).content.decode()
    assert not Response.objects.exists()


def test_a_banner_counts_down_the_last_seven_days(client, small_survey):
    small_survey.closes_at = timezone.now() + datetime.timedelta(days=3, hours=1)
    small_survey.save()
    assert "Plus que 3 jours pour répondre" in client.get(reverse("home")).content.decode()


# -- Long sittings ------------------------------------------------------------------------


def test_a_csrf_failure_shows_the_typed_answers_back_unsaved(small_survey, client_factory):
    browser = client_factory(enforce_csrf_checks=True)
    browser.get(reverse("home"))
    token = browser.cookies["csrftoken"].value
    browser.post(reverse("start"), {"csrfmiddlewaretoken": token})
    response = Response.objects.get()
    browser.cookies.pop("csrftoken")  # the CSRF cookie is gone (expired, cleared)
    page = browser.post(
        reverse("section", args=["profil"]),
        {"q-profil_agents": "321", "action": "continue", "csrfmiddlewaretoken": "stale"},
    )
    html = page.content.decode()
    assert page.status_code == 403
    assert "cette page a expiré" in html and 'value="321"' in html
    assert answers(response) == {}


def test_the_resume_cookie_keeps_the_journey_alive_without_any_session(client, small_survey):
    start(client)
    assert RESUME_COOKIE in client.cookies
    client.cookies.pop("sessionid", None)
    assert client.get(reverse("section", args=["profil"])).status_code == 200


# -- Cost of a save -------------------------------------------------------------------------


def count_save_queries(client, slug, data):
    with CaptureQueriesContext(connection) as queries:
        assert save(client, slug, data, action="later").status_code == 302
    return len(queries)


def test_saving_a_page_costs_the_same_number_of_queries_whatever_its_length(client):
    from survey.enums import QuestionKind
    from tests.factories import EditionFactory, QuestionFactory, SectionFactory

    edition = EditionFactory()
    short = SectionFactory(edition=edition, slug="courte", position=1)
    long = SectionFactory(edition=edition, slug="longue", position=2)
    for n in range(3):
        QuestionFactory(section=short, code=f"c{n}", kind=QuestionKind.INTEGER)
    for n in range(30):
        QuestionFactory(section=long, code=f"l{n}", kind=QuestionKind.INTEGER)
    start(client)
    few = count_save_queries(client, "courte", {f"q-c{n}": n for n in range(3)})
    many = count_save_queries(client, "longue", {f"q-l{n}": n for n in range(30)})
    assert few == many


# -- Two tabs, two devices -------------------------------------------------------------------


def test_saving_one_page_never_erases_answers_saved_from_another_page(client, small_survey):
    response = start(client)
    stale_version = response.version
    save(client, "usages", {"q-usage_ia": "non", "version": stale_version}, action="later")
    save(client, "profil", {"q-profil_fonction": "dsi", "version": stale_version}, action="later")
    assert answers(response) == {
        "usage_ia": {"choice": "non"},
        "profil_fonction": {"choice": "dsi"},
    }


def test_a_stale_copy_of_a_page_does_not_silently_overwrite_newer_answers(client, small_survey):
    response = start(client)
    stale_version = Response.objects.get().version
    save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "10"}, action="later")
    page = save(
        client,
        "profil",
        {"q-profil_fonction": "direction", "q-profil_agents": "10", "version": stale_version},
        action="later",
    )
    html = page.content.decode()
    assert page.status_code == 409
    assert "Ces réponses ont été modifiées ailleurs" in html
    assert typeset("enregistré ailleurs : <strong>Dsi</strong>") in html
    assert "Combien d" not in html.split('id="conflict-summary"')[1].split("</ul>")[0]
    assert answers(response)["profil_fonction"] == {"choice": "dsi"}
    current = re.search(r'name="version" value="(\d+)"', html).group(1)
    save(client, "profil", {"q-profil_fonction": "direction", "version": current}, action="later")
    assert answers(response)["profil_fonction"] == {"choice": "direction"}


def test_autosave_from_a_stale_page_reports_the_conflict(client, small_survey):
    response = start(client)
    save(client, "profil", {"q-profil_agents": "10"}, action="later")
    result = client.post(
        reverse("autosave", args=["profil"]), {"q-profil_agents": "11", "version": "0"}
    )
    assert result.status_code == 409 and result.json()["conflicts"] == ["profil_agents"]
    assert answers(response) == {"profil_agents": 10}


def test_a_cached_questionnaire_is_forgotten_when_a_question_changes(small_survey, settings):
    settings.QUESTIONNAIRE_CACHE = True
    first = small_survey.questionnaire()
    assert small_survey.questionnaire() is first
    question = first[0].asked[0]
    question.text = "Quel est votre métier ?"
    question.save()
    assert small_survey.questionnaire()[0].asked[0].text == "Quel est votre métier ?"


def test_a_superscript_digit_in_a_number_gets_a_french_message_not_a_500(client, small_survey):
    start(client)
    page = save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "²200"})
    assert page.status_code == 422
    assert "chiffres de 0 à 9" in page.content.decode()
    result = client.post(reverse("autosave", args=["profil"]), {"q-profil_agents": "²200"})
    assert result.status_code == 200
    assert result.json()["refused"] == [
        {
            "code": "profil_agents",
            "text": typeset(
                "« Combien d'agents compte votre collectivité ? » — "
                "Saisissez un nombre entier en chiffres de 0 à 9, par exemple 2 942 857."
            ),
        }
    ]
    assert Answer.objects.count() == 0


def test_a_long_text_at_its_limit_with_paragraphs_is_accepted_as_the_browser_counted_it(
    client, small_survey
):
    response = start(client)
    paragraphs = "\r\n".join(["x" * 498] * 4) + "\r\n" + "y" * 4  # 2000 typed, 2004 posted
    page = save(client, "usages", {"q-usage_ia": "non", "q-usage_description": paragraphs})
    assert page.status_code == 302
    assert answers(response)["usage_description"] == paragraphs.replace("\r\n", "\n")


def test_numbers_come_back_grouped_in_the_french_way_and_are_accepted_back(client, small_survey):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "2942857"}, "later")
    page = client.get(reverse("section", args=["profil"])).content.decode()
    assert 'value="2\u202f942\u202f857"' in page
    assert "2\u202f942\u202f857" in client.get(reverse("review")).content.decode()
    again = save(
        client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "2\u202f942\u202f857"}
    )
    assert again.status_code == 302
    assert answers(response)["profil_agents"] == 2942857


def shown_page(client, slug):
    html = client.get(reverse("section", args=[slug])).content.decode()
    return {
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
        "shown": re.search(r'name="shown" value="([^"]*)"', html).group(1),
    }


def test_a_stale_tab_saves_only_what_it_changed_and_keeps_newer_answers_from_elsewhere(
    client, small_survey
):
    response = start(client)
    save(client, "profil", {"q-profil_fonction": "dsi", "q-profil_agents": "10"}, "later")
    stale = shown_page(client, "profil")
    other_tab = shown_page(client, "profil")
    save(
        client,
        "profil",
        {"q-profil_fonction": "dsi", "q-profil_agents": "20", **other_tab},
        "later",
    )
    page = save(
        client,
        "profil",
        {"q-profil_fonction": "direction", "q-profil_agents": "10", **stale},
        action="later",
    )
    assert page.status_code == 302
    assert answers(response) == {"profil_fonction": {"choice": "direction"}, "profil_agents": 20}


def test_typed_values_shown_back_unsaved_keep_the_version_they_were_typed_on(client, small_survey):
    start(client)
    save(client, "profil", {"q-profil_agents": "10"}, action="later")
    page = save(client, "profil", {"q-profil_agents": "-5", "version": "0"}, action="later")
    assert page.status_code == 422
    assert 'name="version" value="0"' in page.content.decode()  # not the current one

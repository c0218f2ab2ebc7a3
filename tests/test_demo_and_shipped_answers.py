"""On the configuration that ships: `make demo` opens the citizens' poll with a trial fieldwork
and a test link (issue 24, point 10); the barometer's full-time equivalents take decimals
(point 11)."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from poll.models import Fieldwork
from survey.collection.models import Answer, Response
from survey.questionnaire.models import BAROMETER_SURVEY, Choice, Edition, Question, Section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def test_the_trial_fieldwork_is_refused_outside_the_local_trial(settings):
    settings.LOCAL_TRIAL = False
    with pytest.raises(CommandError, match="essai local"):
        call_command("open_local_fieldwork", "--year", "2025")
    assert not Fieldwork.objects.exists()


def test_make_demo_opens_the_poll_and_its_test_link_reaches_the_first_page(
    client, settings, time_machine
):
    # A day after the shipped 2025 barometer closed (11 July 2025), whatever the day it runs.
    time_machine.move_to(datetime.datetime(2025, 9, 1, 9, tzinfo=datetime.UTC))
    settings.LOCAL_TRIAL = True
    settings.DEBUG = True
    assert "open_local_fieldwork" in (settings.BASE_DIR / "Makefile").read_text()
    out = io.StringIO()
    call_command("open_local_fieldwork", "--year", "2025", stdout=out)
    link = re.search(r"http://\S+/sondage/\?pid=\S+", out.getvalue()).group()
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    assert poll.is_open() and poll.fieldwork.outcome_url("complete", "x").startswith(
        settings.SITE_URL
    )
    page = client.get(link.removeprefix(settings.SITE_URL.rstrip("/")))
    assert page.status_code == 302, page.content.decode()
    assert client.get(page.url).status_code == 200
    assert Edition.objects.for_year(2025, BAROMETER_SURVEY).is_open() is False


def test_full_time_equivalents_take_a_decimal_comma_or_point(client):
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    question = edition.questions.get(code="profil_nb_agents_numerique")
    assert question.clean_answer("4,5") == question.clean_answer("4.5") == "4.5"
    Edition.objects.filter(pk=edition.pk).update(closes_at="2099-01-01T00:00:00Z")
    client.post(reverse("start"))
    for typed in ("4,5", "12.25"):
        saved = client.post(
            reverse("autosave", args=["profil"]),
            {"q-profil_equipe_numerique": "equipe_donnees", "q-profil_nb_agents_numerique": typed},
        )
        assert saved.status_code == 200, saved.content.decode()
        assert saved.json()["saved"] is True
    answer = Answer.objects.get(response=Response.objects.get(), question=question)
    assert answer.value == "12.25"


# -- Issue 24, point 16, on the shipped questionnaires ------------------------------------------


def test_no_english_label_is_left_and_codes_are_kept():
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    vision = Choice.objects.get(question__edition=edition, code="vision")
    assert vision.label.startswith("Vision par ordinateur")
    assert not Choice.objects.filter(label__icontains="computer vision").exists()
    assert not Question.objects.filter(help_text__icontains="open data").exists()
    assert not Section.objects.filter(intro__icontains="open data").exists()


def test_a_hint_is_printed_once_on_each_page(client):
    edition = Edition.objects.for_year(2025, BAROMETER_SURVEY)
    Edition.objects.filter(pk=edition.pk).update(closes_at="2099-01-01T00:00:00Z")
    client.post(reverse("start"))
    for slug in edition.sections.values_list("slug", flat=True):
        html = client.get(reverse("section", args=[slug])).content.decode()
        hints = re.findall(r'<p class="form-text mt-0" id="[^"]+-hint">(.*?)</p>', html)
        intro = re.findall(r"<p>(.*?)</p>", html)
        assert not [hint for hint in hints if hint[:40] in " ".join(intro)], slug
        if slug == "ia-generative":
            assert html.count("L’IA générative désigne les outils") == 1


def test_the_poll_fieldwork_is_named_without_bad_grammar():
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    fieldwork = Fieldwork(edition=poll, institute="Institut")
    assert str(fieldwork).startswith("Terrain du sondage « Les Français")
    assert "de Les" not in str(fieldwork)


def test_the_domain_selector_lists_each_domain_once(shipped_results):
    from results.models import Estimate
    from results.presentation import domains

    listed = domains(Estimate.objects.filter(computation=shipped_results))
    labels = [label for _, label in listed]
    assert "Départements" in labels  # a kind and a stratum, the same collectivités
    assert len(labels) == len(set(labels))

"""The next edition's file prepared from the last (`prepare_next_edition`): every active
question continued identically, and what the loader then refuses. On the shipped 2023 and 2025
questionnaires, loaded once for the module (tests/helpers/database.py)."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from survey.enums import Lineage
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from survey.questionnaire.writer import next_edition_file
from tests.helpers.database import kept_for_the_module
from tests.helpers.questionnaires import POLL, problems_of, with_dates, write

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker):
    with kept_for_the_module(django_db_blocker):
        with django_db_blocker.unblock():
            call_command(
                "load_questionnaire",
                QUESTIONNAIRES / "2023.toml",
                QUESTIONNAIRES / "2025.toml",
                verbosity=0,
            )
        yield


@pytest.fixture
def edition_2025(loaded_once):
    return Edition.objects.get(year=2025)


def test_next_years_file_continues_every_active_question_identically(edition_2025, tmp_path):
    edition_2025.questions.filter(code="usage_ia_description").update(is_active=False)
    output = tmp_path / "2026.toml"
    call_command("prepare_next_edition", edition=2025, output=str(output), verbosity=0)

    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Questionnaire 2026, préparé à partir de l’édition 2025.")
    load_questionnaire(write(tmp_path, with_dates(text), "2026-dated.toml"))

    edition_2026 = Edition.objects.get(year=2026)
    assert edition_2026.title == edition_2025.title.replace("2025", "2026")
    kept = edition_2025.questions.filter(is_active=True)
    assert sorted(edition_2026.questions.values_list("code", flat=True)) == sorted(
        kept.values_list("code", flat=True)
    )
    for question in edition_2026.questions.select_related("continues__edition"):
        assert question.lineage == Lineage.IDENTICAL
        assert question.continues.edition == edition_2025
        assert question.continues.code == question.code
    matrix = edition_2026.questions.get(code="usage_ia_impacts")
    previous = edition_2025.questions.get(code="usage_ia_impacts")
    assert list(matrix.items.values_list("code", "label")) == list(
        previous.items.values_list("code", "label")
    )
    assert list(matrix.choices.values_list("code", "label", "is_exclusive", "is_other")) == list(
        previous.choices.values_list("code", "label", "is_exclusive", "is_other")
    )


def test_next_years_file_is_refused_until_its_dates_are_set(edition_2025, tmp_path):
    output = tmp_path / "2026.toml"
    call_command("prepare_next_edition", edition=2025, output=str(output), verbosity=0)
    problems = problems_of(output)
    assert "[edition] : la clé « opens_at » manque." in problems
    assert "[edition] : la clé « closes_at » manque." in problems


def test_preparing_the_next_edition_refuses_what_would_lose_work(edition_2025, tmp_path):
    missing = r"Aucune édition 2019 de l'enquête « barometre-ia-collectivites » \(éditions : 2023, "
    with pytest.raises(CommandError, match=missing):
        call_command("prepare_next_edition", edition=2019, output=str(tmp_path / "x.toml"))
    existing = tmp_path / "2026.toml"
    existing.write_text("# travail en cours", encoding="utf-8")
    with pytest.raises(CommandError, match="existe déjà : --force pour le remplacer"):
        call_command("prepare_next_edition", edition=2025, output=str(existing))
    assert existing.read_text(encoding="utf-8") == "# travail en cours"
    with pytest.raises(CommandError, match="L'année à préparer doit suivre 2025."):
        call_command("prepare_next_edition", edition=2025, year=2023, output=str(existing))
    with pytest.raises(
        CommandError, match="L'édition 2025 de « barometre-ia-collectivites » existe déjà"
    ):
        call_command("prepare_next_edition", edition=2023, year=2025, output=str(existing))


# -- Surveys: editions of several surveys side by side ------------------------------------------


def test_another_survey_may_have_its_own_edition_in_the_same_year(edition_2025, tmp_path):
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    poll = Edition.objects.get(survey__code="sondage-citoyens")
    assert poll.year == 2025 and poll.survey.get_audience_display() == "Citoyens"
    assert Edition.objects.current("barometre-ia-collectivites") == edition_2025
    assert Edition.objects.current("sondage-citoyens") == poll
    assert Edition.objects.for_year(2025, "barometre-ia-collectivites") == edition_2025
    assert edition_2025.survey.code == "barometre-ia-collectivites"


def test_a_survey_has_one_edition_a_year(edition_2025):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Edition.objects.create(
            survey=edition_2025.survey,
            year=2025,
            title="Doublon",
            opens_at=edition_2025.opens_at,
            closes_at=edition_2025.closes_at,
        )


def test_a_question_continues_only_an_edition_of_its_own_survey(edition_2025, tmp_path):
    continued = POLL.replace(
        'text = "Faites-vous',
        'continues = { edition = 2023, question = "usage_ia", relation = "scope_changed" }\n'
        'text = "Faites-vous',
    )
    assert problems_of(write(tmp_path, continued, "poll.toml")) == [
        "question « confiance_ia » : l'édition 2023 n'est pas chargée ; chargez d'abord son "
        "questionnaire (questionnaires/2023.toml)."
    ]


def test_next_years_file_of_another_survey_names_its_survey(edition_2025, tmp_path):
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    poll = Edition.objects.get(survey__code="sondage-citoyens")
    text = with_dates(next_edition_file(poll, 2026))
    load_questionnaire(write(tmp_path, text, "poll-2026.toml"))
    assert Edition.objects.current("sondage-citoyens").year == 2026
    assert Edition.objects.current("barometre-ia-collectivites").year == 2025

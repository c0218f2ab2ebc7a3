"""Crossings declared in the files: a poll question names the collectivités' question of the
same year that asks the same thing (`crosses`); the loader checks the two have the same rows
and answers, whichever of the two editions is loaded second."""

from pathlib import Path

import pytest

from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition, Question
from survey.questionnaire.writer import next_edition_file
from tests.helpers.questionnaires import problems_of, snapshot, with_dates, write

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

BAROMETER = """
[edition]
year = 2025
title = "Baromètre 2025"
opens_at = 2025-05-05T09:00:00+02:00
closes_at = 2025-07-11T23:59:59+02:00

[choice_lists]
preoccupation = [
  { code = "peu", label = "Peu préoccupant" },
  { code = "tres", label = "Très préoccupant" },
  { code = "nsp", label = "Je ne sais pas" },
]

[[sections]]
slug = "risques"
title = "Risques"

[[sections.questions]]
code = "diff_risques"
kind = "matrix"
text = "Les risques suivants vous semblent-ils préoccupants pour votre collectivité ?"
items = [
  { code = "erreurs", label = "Erreurs" },
  { code = "biais", label = "Biais" },
]
choices = "preoccupation"
"""

POLL = """
[survey]
code = "sondage-citoyens"
title = "Sondage"
audience = "citoyens"

[edition]
year = 2025
title = "Sondage 2025"
opens_at = 2025-05-05T09:00:00+02:00
closes_at = 2025-07-11T23:59:59+02:00

[choice_lists]
preoccupation = [
  { code = "peu", label = "Peu préoccupant" },
  { code = "tres", label = "Très préoccupant" },
  { code = "nsp", label = "Je ne sais pas" },
]

[[sections]]
slug = "inquietudes"
title = "Inquiétudes"

[[sections.questions]]
code = "risques"
kind = "matrix"
text = "Les risques suivants vous semblent-ils préoccupants ?"
crosses.survey = "barometre-ia-collectivites"
crosses.question = "diff_risques"
crosses.items_left_out = ["attention"]
items = [
  { code = "erreurs", label = "Erreurs" },
  { code = "attention", label = "Choisissez « Peu préoccupant »" },
  { code = "biais", label = "Biais" },
]
choices = "preoccupation"
"""


def test_a_declared_crossing_is_stored_on_the_question(tmp_path):
    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    risques = Question.objects.get(edition__survey__code="sondage-citoyens", code="risques")
    assert risques.crosses_survey == "barometre-ia-collectivites"
    assert risques.crosses_question == "diff_risques"
    assert risques.crosses_items_left_out == ["attention"]


def test_the_poll_may_be_loaded_before_the_barometer_and_is_checked_then(tmp_path):
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    assert Question.objects.get(code="risques").crosses_question == "diff_risques"
    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    assert (
        Edition.objects.for_year(2025, "barometre-ia-collectivites")
        .questions.filter(code="diff_risques")
        .exists()
    )


def test_a_crossing_to_an_unknown_survey_is_refused(tmp_path):
    wrong = POLL.replace('= "barometre-ia-collectivites"', '= "barometre-ia"')
    assert problems_of(write(tmp_path, wrong, "poll.toml")) == [
        "question « risques » : l'enquête « barometre-ia » n'existe pas dans la base ; vérifiez "
        "son code (celui de la table [survey] de son fichier) ou chargez d'abord son fichier."
    ]


def test_a_crossing_to_an_unknown_question_is_refused_and_nothing_is_written(tmp_path):
    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    before = snapshot()
    wrong = POLL.replace('question = "diff_risques"', 'question = "risques_ia"')
    assert problems_of(write(tmp_path, wrong, "poll.toml")) == [
        "question « risques » : l'édition 2025 de l'enquête « barometre-ia-collectivites » n'a "
        "pas de question « risques_ia »."
    ]
    assert snapshot() == before


def test_a_crossing_within_the_same_survey_is_refused(tmp_path):
    own = POLL.replace(
        'crosses.survey = "barometre-ia-collectivites"', 'crosses.survey = "sondage-citoyens"'
    )
    assert problems_of(write(tmp_path, own, "poll.toml")) == [
        "question « risques » : elle ne peut croiser qu'une question d'une autre enquête."
    ]


def test_a_malformed_crossing_is_refused_with_every_reason(tmp_path):
    broken = POLL.replace(
        'items_left_out = ["attention"]', 'items_left_out = ["controle"]\ncrosses.annee = 2025'
    )
    problems = problems_of(write(tmp_path, broken, "poll.toml"))
    assert "question « risques » : clé de croisement inconnue « annee »." in problems
    assert (
        "question « risques » : « crosses.items_left_out » cite des lignes que la question "
        "n'a pas : controle."
    ) in problems
    shapeless = POLL.replace(
        'crosses.survey = "barometre-ia-collectivites"\ncrosses.question = "diff_risques"\n'
        'crosses.items_left_out = ["attention"]',
        'crosses = "diff_risques"',
    )
    assert problems_of(write(tmp_path, shapeless, "poll.toml")) == [
        "question « risques » : « crosses » doit avoir les clés « survey » (le code de l'autre "
        "enquête) et « question » (le code de sa question de la même année)."
    ]


def test_rows_that_differ_are_named_when_the_poll_is_loaded_second(tmp_path):
    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    without_left_out = POLL.replace('crosses.items_left_out = ["attention"]\n', "")
    assert problems_of(write(tmp_path, without_left_out, "poll.toml")) == [
        "question « risques » (croise « diff_risques » de l'enquête "
        "« barometre-ia-collectivites ») : les lignes diffèrent (seulement dans « risques » : "
        "attention ; seulement dans « diff_risques » : aucune)."
    ]


def test_answer_codes_that_differ_are_named_when_the_barometer_is_loaded_second(tmp_path):
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    before = snapshot()
    recoded = BAROMETER.replace('{ code = "tres", label', '{ code = "tres_preoccupant", label')
    assert problems_of(write(tmp_path, recoded, "barometre.toml")) == [
        "question « diff_risques » : la question « risques » de l'enquête « sondage-citoyens » "
        "(2025) la croise : les réponses diffèrent (seulement dans « risques » : tres ; "
        "seulement dans « diff_risques » : tres_preoccupant)."
    ]
    assert snapshot() == before


def test_the_barometer_cannot_drop_a_question_the_poll_crosses(tmp_path):
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    other = BAROMETER.replace('code = "diff_risques"', 'code = "risques_collectivite"')
    assert problems_of(write(tmp_path, other, "barometre.toml")) == [
        "question « diff_risques » : la question « risques » de l'enquête « sondage-citoyens » "
        "(2025) la croise, mais ce fichier n'a pas de question de ce code."
    ]


def test_only_a_choice_question_crosses_another(tmp_path):
    text = POLL.replace('kind = "matrix"', 'kind = "long_text"').replace(
        'choices = "preoccupation"', ""
    )
    problems = problems_of(write(tmp_path, text, "poll.toml"))
    assert (
        "question « risques » : seule une question à choix (ou une matrice) peut en croiser une "
        "autre : les deux côtés se comparent réponse par réponse."
    ) in problems


def test_the_project_files_cross_the_risks_in_either_load_order():
    load_questionnaire(QUESTIONNAIRES / "citoyens-2025.toml")
    load_questionnaire(QUESTIONNAIRES / "2025.toml")
    risques = Question.objects.get(edition__survey__code="sondage-citoyens", code="risques")
    assert (risques.crosses_question, risques.crosses_items_left_out) == (
        "diff_risques",
        ["controle_attention"],
    )
    load_questionnaire(QUESTIONNAIRES / "citoyens-2025.toml")  # reloading changes nothing
    assert Question.objects.filter(crosses_question="diff_risques").count() == 1


def test_next_years_file_keeps_the_crossing(tmp_path):
    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    text = next_edition_file(poll, 2026)
    assert (
        'crosses = {survey = "barometre-ia-collectivites", question = "diff_risques", '
        'items_left_out = ["attention"]}'
    ) in text
    load_questionnaire(write(tmp_path, with_dates(text), "poll-2026.toml"))
    later = Question.objects.get(edition__year=2026, code="risques")
    assert (later.crosses_survey, later.crosses_question, later.crosses_items_left_out) == (
        "barometre-ia-collectivites",
        "diff_risques",
        ["attention"],
    )


def test_the_codebook_of_the_crossing_edition_names_the_crossed_question(tmp_path):
    from survey.exports.options import ExportOptions
    from survey.exports.rows import Layout, iter_codebook_rows

    load_questionnaire(write(tmp_path, BAROMETER, "barometre.toml"))
    load_questionnaire(write(tmp_path, POLL, "poll.toml"))
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    codebook = list(iter_codebook_rows(Layout(poll, ExportOptions(status="all"))))
    header = codebook[0]
    by_column = {
        row[0]: dict(zip(header, row, strict=True))
        for row in codebook[1:]
        if len(row) == len(header)
    }
    assert by_column["risques__biais"]["croise"] == "barometre-ia-collectivites\u00a0: diff_risques"
    barometer = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    header = next(iter_codebook_rows(Layout(barometer, ExportOptions(status="all"))))
    assert "croise" not in header  # the barometer's codebook keeps its columns

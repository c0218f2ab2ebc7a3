"""Question lineage: a question of an edition declares which question of an earlier edition it
continues, and how; the loader refuses a declaration that does not hold, naming the question."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from survey.enums import Lineage
from survey.exports.formats import render
from survey.exports.options import ExportOptions
from survey.exports.rows import Layout, iter_codebook_rows
from survey.questionnaire.loader import QuestionnaireError, load_questionnaire
from survey.questionnaire.models import Edition, Question
from tests.factories import ResponseFactory
from tests.helpers.questionnaires import POLL, problems_of, snapshot, write

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

EARLIER = """
[edition]
year = 2028
title = "Édition antérieure"
opens_at = 2028-05-01T09:00:00+02:00
closes_at = 2028-07-11T23:59:59+02:00

[[sections]]
slug = "usages"
title = "Usages"

[[sections.questions]]
code = "ia_projets"
kind = "single_choice"
text = "Votre structure a-t-elle des projets d'IA ?"
choices = [
  { code = "oui", label = "Oui" },
  { code = "non", label = "Non" },
  { code = "nsp", label = "Je ne sais pas" },
]

[[sections.questions]]
code = "ia_effectif"
kind = "integer"
text = "Combien d'agents ?"
"""

LATER = """
[edition]
year = 2030
title = "Édition suivante"
opens_at = 2030-05-01T09:00:00+02:00
closes_at = 2030-07-11T23:59:59+02:00

[[sections]]
slug = "usages"
title = "Usages"

[[sections.questions]]
code = "usage_ia"
kind = "single_choice"
text = "{text}"
choices = [{choices}]
continues = {{ {continues} }}
"""

SAME_TEXT = "Votre structure a-t-elle des projets d’IA ?"
SAME_CHOICES = (
    '{ code = "oui", label = "Oui" }, { code = "non", label = "Non" }, '
    '{ code = "nsp", label = "Je ne sais pas" }'
)
RECODED_CHOICES = (
    '{ code = "oui_production", label = "Oui, en production" }, '
    '{ code = "oui_experimentation", label = "Oui, en expérimentation" }, '
    '{ code = "non", label = "Non" }, { code = "nsp", label = "Je ne sais pas" }'
)


def later(tmp_path, continues, text=SAME_TEXT, choices=SAME_CHOICES):
    source = LATER.format(text=text, choices=choices, continues=continues)
    return write(tmp_path, source, "later.toml")


@pytest.fixture
def earlier(tmp_path):
    load_questionnaire(write(tmp_path, EARLIER, "earlier.toml"))
    return Edition.objects.get(year=2028)


def test_the_2025_file_declares_which_questions_continue_2023_and_how():
    call_command(
        "load_questionnaire",
        QUESTIONNAIRES / "2023.toml",
        QUESTIONNAIRES / "2025.toml",
        verbosity=0,
    )
    usage_ia = Question.objects.get(edition__year=2025, code="usage_ia")
    assert usage_ia.lineage == Lineage.IDENTICAL
    assert usage_ia.continues == Question.objects.get(edition__year=2023, code="usage_ia")
    assert usage_ia.is_comparable
    techniques = Question.objects.get(edition__year=2025, code="usage_ia_techniques")
    assert techniques.lineage == Lineage.REWORDED and techniques.is_comparable
    planned = Question.objects.get(edition__year=2025, code="usage_ia_prevu")
    assert planned.lineage == Lineage.SCOPE_CHANGED and not planned.is_comparable
    new = Question.objects.get(edition__year=2025, code="souv_sujet")
    assert new.lineage == Lineage.NEW and new.continues is None and not new.is_comparable


def test_the_2025_file_brings_the_2023_file_beside_it_when_2023_is_not_loaded():
    report = load_questionnaire(QUESTIONNAIRES / "2025.toml")
    assert report.created[0] == "édition 2023 (depuis 2023.toml)"
    assert list(Edition.objects.order_by("year").values_list("year", flat=True)) == [2023, 2025]
    assert Question.objects.get(edition__year=2025, code="usage_ia").continues.edition.year == 2023


def test_without_the_earlier_file_the_lineage_is_refused_and_the_reason_names_the_question(
    tmp_path,
):
    alone = write(tmp_path, (QUESTIONNAIRES / "2025.toml").read_text(encoding="utf-8"), "2025.toml")
    problems = problems_of(alone)
    assert (
        "question « usage_ia » : l'édition 2023 n'est pas chargée ; chargez d'abord son "
        "questionnaire (questionnaires/2023.toml)." in problems
    )
    assert not Edition.objects.exists()


def test_an_identical_question_keeps_its_predecessor_and_ignores_typography(earlier, tmp_path):
    load_questionnaire(
        later(tmp_path, 'edition = 2028, question = "ia_projets", relation = "identical"')
    )
    question = Question.objects.get(edition__year=2030, code="usage_ia")
    assert question.continues.edition == earlier
    assert question.current_code("oui") == "oui"


def test_an_identical_question_with_another_wording_is_refused(earlier, tmp_path):
    path = later(
        tmp_path,
        'edition = 2028, question = "ia_projets", relation = "identical"',
        text="Votre collectivité mène-t-elle des projets d’IA ?",
    )
    assert problems_of(path) == [
        "question « usage_ia » : son libellé diffère de celui de « ia_projets » (2028) : "
        "déclarez la relation « reworded » si le sens est le même."
    ]


def test_a_reworded_question_may_change_its_wording_but_not_its_answers(earlier, tmp_path):
    reworded = 'edition = 2028, question = "ia_projets", relation = "reworded"'
    load_questionnaire(later(tmp_path, reworded, text="Menez-vous des projets d’IA ?"))
    assert Question.objects.get(edition__year=2030).lineage == Lineage.REWORDED

    path = later(tmp_path, reworded, choices=RECODED_CHOICES)
    assert problems_of(path) == [
        "question « usage_ia » : ses réponses diffèrent de celles de « ia_projets » (2028) "
        "(en moins : oui ; en plus : oui_experimentation, oui_production) : déclarez la relation "
        "« recoded » avec la correspondance, ou « scope_changed »."
    ]


def test_recoded_answers_map_every_earlier_code_to_a_current_one(earlier, tmp_path):
    load_questionnaire(
        later(
            tmp_path,
            'edition = 2028, question = "ia_projets", relation = "recoded", '
            'recoding = { oui = "oui_production", non = "non", nsp = "nsp" }',
            choices=RECODED_CHOICES,
        )
    )
    question = Question.objects.get(edition__year=2030)
    assert question.lineage == Lineage.RECODED and question.is_comparable
    assert question.current_code("oui") == "oui_production"
    assert question.current_code("non") == "non"


def test_an_incomplete_or_wrong_recoding_is_refused_with_every_reason(earlier, tmp_path):
    path = later(
        tmp_path,
        'edition = 2028, question = "ia_projets", relation = "recoded", '
        'recoding = { oui = "oui_partout", peut_etre = "nsp" }',
        choices=RECODED_CHOICES,
    )
    assert problems_of(path) == [
        "question « usage_ia » : la correspondance ne dit pas ce que deviennent les réponses "
        "non, nsp de « ia_projets » (2028).",
        "question « usage_ia » : la correspondance cite des réponses que « ia_projets » (2028) "
        "n'a pas : peut_etre.",
        "question « usage_ia » : la correspondance mène à des réponses que la question n'a pas : "
        "oui_partout.",
    ]
    assert Question.objects.filter(edition__year=2030).count() == 0


def test_a_reference_to_a_question_the_earlier_edition_lacks_is_refused(earlier, tmp_path):
    path = later(tmp_path, 'edition = 2028, question = "ia_inconnue", relation = "reworded"')
    assert problems_of(path) == [
        "question « usage_ia » : l'édition 2028 n'a pas de question « ia_inconnue »."
    ]


def test_a_comparable_question_of_another_kind_is_refused(earlier, tmp_path):
    path = later(tmp_path, 'edition = 2028, question = "ia_effectif", relation = "reworded"')
    assert problems_of(path) == [
        "question « usage_ia » : « ia_effectif » (2028) est de type integer, celle-ci de type "
        "single_choice : elles ne sont pas comparables (relation « scope_changed »)."
    ]
    load_questionnaire(
        later(tmp_path, 'edition = 2028, question = "ia_effectif", relation = "scope_changed"')
    )
    assert not Question.objects.get(edition__year=2030).is_comparable


def test_a_question_can_only_continue_an_earlier_edition(earlier, tmp_path):
    path = later(tmp_path, 'edition = 2031, question = "ia_projets", relation = "identical"')
    assert problems_of(path) == [
        "question « usage_ia » : elle ne peut continuer qu'une édition antérieure à 2030."
    ]


def test_a_malformed_declaration_is_refused_before_anything_is_read(earlier, tmp_path):
    path = later(
        tmp_path,
        'edition = 2028, question = "ia_projets", relation = "pareil", recoding = { oui = "oui" }',
    )
    problems = problems_of(path)
    assert problems[0].startswith(
        "question « usage_ia » : relation de filiation inconnue « pareil » (relations possibles : "
        "identical, reworded, recoded, scope_changed)."
    )
    assert "question « usage_ia » : « recoding » ne va qu'avec la relation « recoded »." in problems
    before = snapshot()
    with pytest.raises(QuestionnaireError):
        load_questionnaire(later(tmp_path, 'edition = 2028, relation = "identical"'))
    assert snapshot() == before


def test_a_question_that_a_later_edition_continues_cannot_leave_its_file(earlier, tmp_path):
    load_questionnaire(
        later(tmp_path, 'edition = 2028, question = "ia_projets", relation = "identical"')
    )
    without = EARLIER.replace(EARLIER[EARLIER.index("[[sections.questions]]") :], "").rstrip()
    without += '\n\n[[sections.questions]]\ncode = "ia_effectif"\nkind = "integer"\ntext = "N ?"\n'
    assert problems_of(write(tmp_path, without, "earlier.toml")) == [
        "question « ia_projets » : une question de l'édition 2030 la continue ; elle ne peut pas "
        "être retirée du fichier."
    ]


def test_the_database_keeps_a_lineage_and_its_predecessor_together(earlier):
    predecessor = Question.objects.get(code="ia_projets")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Question.objects.filter(pk=predecessor.pk).update(lineage=Lineage.IDENTICAL)
    other = Question.objects.get(code="ia_effectif")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Question.objects.filter(pk=other.pk).update(continues=predecessor)


def test_the_command_loads_several_files_in_order_and_names_the_one_refused(tmp_path):
    alone = write(tmp_path, (QUESTIONNAIRES / "2025.toml").read_text(encoding="utf-8"), "2025.toml")
    with pytest.raises(CommandError, match=r"questionnaire .*2025\.toml n'a pas été chargé"):
        call_command("load_questionnaire", alone, verbosity=0)
    call_command(
        "load_questionnaire",
        QUESTIONNAIRES / "2023.toml",
        QUESTIONNAIRES / "2025.toml",
        verbosity=0,
    )
    assert list(Edition.objects.order_by("year").values_list("year", flat=True)) == [2023, 2025]


def test_a_malformed_survey_table_is_refused(tmp_path):
    broken = POLL.replace('audience = "citoyens"', 'audience = "elus"\ncouleur = "bleu"')
    problems = problems_of(write(tmp_path, broken, "poll.toml"))
    assert "[survey] : clé inconnue « couleur »." in problems
    assert "[survey] : « audience » doit valoir collectivites ou citoyens." in problems


# -- Exports: the edition on every row, the lineage in the codebook ----------------------------


def test_every_export_names_its_edition_and_the_codebook_tells_each_questions_lineage():
    load_questionnaire(QUESTIONNAIRES / "2025.toml")
    edition = Edition.objects.for_year(2025, "barometre-ia-collectivites")
    ResponseFactory(edition=edition)
    options = ExportOptions(status="all")
    wide = b"".join(render("csv", edition, options)).decode()
    rows = list(csv.DictReader(io.StringIO(wide)))
    assert [row["edition"] for row in rows] == ["2025"]
    long = b"".join(render("long-csv", edition, options)).decode()
    assert {row["edition"] for row in csv.DictReader(io.StringIO(long))} == {"2025"}

    codebook = list(iter_codebook_rows(Layout(edition, options)))
    header = codebook[0]
    by_column = {
        row[0]: dict(zip(header, row, strict=True))
        for row in codebook[1:]
        if len(row) == len(header)  # the missing values follow the columns
    }
    assert by_column["usage_ia"]["filiation"] == "Identique"
    assert by_column["usage_ia"]["continue"] == "2023\u00a0: usage_ia"  # French typography
    assert by_column["usage_ia_prevu"]["filiation"] == "Périmètre modifié, non comparable"
    assert by_column["souv_sujet"]["filiation"] == "Nouvelle question"
    assert by_column["souv_sujet"]["continue"] is None

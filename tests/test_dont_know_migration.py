"""The migration that turns « Je ne sais pas », until then guessed from a code or a label, into
a flag on the choice."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from survey.enums import QuestionKind
from survey.questionnaire.models import Choice
from tests.factories import QuestionFactory

BEFORE = [("survey", "0014_question_open_data_label_in_french")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_flags_the_choices_coded_nsp_or_labelled_je_ne_sais_pas():
    question = QuestionFactory(
        kind=QuestionKind.SINGLE_CHOICE, choices=["oui", "nsp", "inconnu", "autre"]
    )
    question.choices.filter(code="inconnu").update(label="Je ne sais pas encore")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    flagged = Choice.objects.filter(question=question, is_dont_know=True)
    assert sorted(flagged.values_list("code", flat=True)) == ["inconnu", "nsp"]

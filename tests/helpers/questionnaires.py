"""Questionnaire files written by the tests, and what loading them stores."""

import pytest

from survey.questionnaire.loader import QuestionnaireError, load_questionnaire
from survey.questionnaire.models import Choice, Edition, Question, Section

HEADER = """
[edition]
year = 2030
title = "Baromètre de test"
opens_at = 2030-05-01T09:00:00+02:00
closes_at = 2030-07-11T23:59:59+02:00

[choice_lists]
oui_non_nsp = [
  { code = "oui", label = "Oui" },
  { code = "non", label = "Non" },
  { code = "nsp", label = "Je ne sais pas" },
]
"""


VALID = (
    HEADER
    + """
[[sections]]
slug = "usages"
title = "Usages"

[[sections.questions]]
code = "usage_ia"
kind = "single_choice"
text = "Utilisez-vous l'IA ?"
required = true
choices = "oui_non_nsp"

[[sections.questions]]
code = "usage_domaines"
kind = "multiple_choice"
text = "Dans quels domaines ?"
show_if = { question = "usage_ia", any_of = ["oui"] }
choices = [
  { code = "mobilite", label = "Mobilité" },
  { code = "eau", label = "Eau" },
  { code = "autre", label = "Autre", other = true },
  { code = "nsp", label = "Je ne sais pas", exclusive = true, dont_know = true },
]

[[sections]]
slug = "organisation"
title = "Organisation"

[[sections.questions]]
code = "orga_agents"
kind = "integer"
text = "Combien d'agents ?"
min = 0
"""
)


def write(tmp_path, text, name="questionnaire.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot():
    return (
        list(Edition.objects.values()),
        list(Section.objects.values()),
        list(Question.objects.values()),
        list(Choice.objects.values()),
    )


def with_dates(text):
    return text.replace(
        "[edition]\n",
        "[edition]\nopens_at = 2026-05-04T09:00:00+02:00\ncloses_at = 2026-07-10T23:59:59+02:00\n",
        1,
    )


PROJECTS = {
    "item": "Projet",
    "max_items": 3,
    "questions": [
        {"code": "nom", "kind": "short_text", "text": "Nom du projet", "required": True},
        {
            "code": "stade",
            "kind": "single_choice",
            "text": "Stade",
            "choices": [
                {"code": "idee", "label": "Idée"},
                {"code": "production", "label": "En production"},
            ],
        },
        {"code": "agents", "kind": "integer", "text": "Agents concernés", "min": 0},
        {"code": "generative", "kind": "yes_no", "text": "IA générative ?"},
    ],
}


GROUP_FILE = """
[[sections.questions]]
code = "cas_usage"
kind = "group"
text = "Vos projets"
item = "Projet"
max_items = 5
questions = [
  { code = "nom", kind = "short_text", text = "Nom", required = true },
  { code = "stade", kind = "single_choice", text = "Stade", choices = "oui_non_nsp" },
]
"""


# A citizens' poll of 2025 in its own survey, next to the barometer.
POLL = """
[survey]
code = "sondage-citoyens"
title = "Les citoyens et l'IA dans les services publics"
audience = "citoyens"

[edition]
year = 2025
title = "Sondage 2025"
opens_at = 2025-05-05T09:00:00+02:00
closes_at = 2025-07-11T23:59:59+02:00

[[sections]]
slug = "confiance"
title = "Confiance"

[[sections.questions]]
code = "confiance_ia"
kind = "yes_no"
text = "Faites-vous confiance à l'IA dans les services publics ?"
"""


def problems_of(path):
    """The problems the loader names when it refuses the file."""
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    return raised.value.problems

"""How a question's answers lay out in a table: the columns a kind describes, and the state of
an answer in a row.

The engine's vocabulary, so that each kind describes its columns without importing the exports;
the exports (survey/exports/rows.py) build their tables and codebooks from these.
"""

from dataclasses import dataclass, field

from survey.questionnaire.models import Question

# The state of a question in a response's row: answered, asked but left without answer, or
# not asked (its display condition was not met, or it was not part of the questionnaire).
ANSWERED_STATE = "repondue"
NOT_ANSWERED_STATE = "sans_reponse"
NOT_ASKED_STATE = "non_posee"

CHECKED_CATEGORIES = [(1, "Coché"), (0, "Non coché")]


@dataclass
class Column:
    """One column of the wide table, as the codebook describes it."""

    name: str
    title: str
    type: str = "string"
    description: str = ""
    categories: list = field(default_factory=list)  # [(value, label)]
    constraints: dict = field(default_factory=dict)
    question: Question | None = None

    def schema_field(self, labels=False):
        descriptor = {"name": self.name, "title": self.title, "type": self.type}
        if self.description:
            descriptor["description"] = self.description
        constraints = dict(self.constraints)
        if self.categories:
            if labels:
                constraints["enum"] = [label for _, label in self.categories]
            else:
                constraints["enum"] = [value for value, _ in self.categories]
                descriptor["categories"] = [
                    {"value": value, "label": label} for value, label in self.categories
                ]
        if constraints:
            descriptor["constraints"] = constraints
        return descriptor

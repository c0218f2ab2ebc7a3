"""Use cases shared by tests: an edition with a use-case group, and a project."""

from survey.enums import QuestionKind
from tests.factories import EditionFactory, QuestionFactory, SectionFactory

CHOICE = {
    "domaine": [("eau", "Eau"), ("mobilite", "Mobilité")],
    "stade": [("idee", "Idée"), ("production", "En production"), ("abandonne", "Abandonné")],
}

USE_CASES = {
    "item": "Projet",
    "max_items": 10,
    "questions": [
        {"code": "nom", "kind": "short_text", "text": "Nom du projet", "required": True},
        *(
            {
                "code": code,
                "kind": "single_choice",
                "text": code.capitalize(),
                "choices": [{"code": c, "label": label} for c, label in choices],
            }
            for code, choices in CHOICE.items()
        ),
        {"code": "description", "kind": "long_text", "text": "Description courte"},
        {"code": "publication", "kind": "yes_no", "text": "Publication acceptée ?"},
    ],
}


def make_edition():
    """An edition of 2025 with a use-case group (the codes the usecases app reads)."""
    edition = EditionFactory(year=2025)
    QuestionFactory(
        section=SectionFactory(edition=edition, slug="usages"), code="usage_ia_projets",
        kind=QuestionKind.GROUP, text="Vos projets", group=USE_CASES,
    )  # fmt: skip
    return edition


def project(name, domaine="eau", stade="production", publication="oui", **more):
    return {"nom": name, "domaine": domaine, "stade": stade, "publication": publication, **more}

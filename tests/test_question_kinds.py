"""The registry of question kinds (survey/questionnaire/kinds): one class owns each kind."""

import ast
import pathlib
import re

import pytest

from survey.enums import QuestionKind
from survey.questionnaire.kinds import KINDS, kind_for
from survey.questionnaire.kinds.base import Kind
from tests.factories import QuestionFactory

SURVEY = pathlib.Path(__file__).resolve().parent.parent / "survey"
REGISTRY = SURVEY / "questionnaire" / "kinds"


def test_the_registry_and_the_question_kind_choices_name_the_same_kinds_with_the_same_labels():
    assert list(KINDS) == list(QuestionKind.values)
    assert {code: kind.label for code, kind in KINDS.items()} == dict(QuestionKind.choices)


def test_every_registered_kind_writes_its_own_validation_and_form_fields():
    for kind in KINDS.values():
        assert type(kind).clean is not Kind.clean, kind
        assert type(kind).form_fields is not Kind.form_fields, kind


def test_the_kinds_that_answer_with_choices_are_the_choice_kinds_and_the_matrix():
    with_choices = {code for code, kind in KINDS.items() if kind.has_choices}
    assert with_choices == {"single_choice", "multiple_choice", "scale", "matrix"}


@pytest.mark.django_db
def test_a_question_finds_its_kind_in_the_registry():
    question = QuestionFactory(kind=QuestionKind.SCALE)
    assert question.kind_class is KINDS["scale"] is kind_for("scale")


def _names_question_kind(node):
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "QuestionKind"
    )


def _kind_branches(path):
    """Lines of `path` that name a QuestionKind member or compare a `.kind` to a literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "QuestionKind"
            and node.attr.isupper()
        ):
            found.append(node.lineno)
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            names_kind = any(
                (isinstance(side, ast.Attribute) and side.attr == "kind")
                or (isinstance(side, ast.Name) and side.id == "kind")
                for side in sides
            )
            literal = any(
                isinstance(side, ast.Constant)
                or (
                    isinstance(side, ast.Tuple | ast.Set | ast.List)
                    and side.elts
                    # Other kinds (a campaign step's, a message's) are compared to their own
                    # enums: only literals and QuestionKind members name question kinds.
                    and all(
                        isinstance(element, ast.Constant) or _names_question_kind(element)
                        for element in side.elts
                    )
                )
                for side in sides
            )
            if names_kind and literal:
                found.append(node.lineno)
    return found


def test_no_code_outside_the_registry_branches_on_a_question_kind():
    root = SURVEY.parent
    # The survey app and every other app of the project (results, editions…).
    apps = [SURVEY, *(path.parent for path in root.glob("*/apps.py") if path.parent != SURVEY)]
    offenders = {}
    for path in (file for app in apps for file in app.rglob("*.py")):
        if REGISTRY in path.parents or "migrations" in path.parts:
            continue
        # Collectivités have kinds too (commune, EPCI…): they are not question kinds.
        if "collectivites" in path.parts or path.name == "load_collectivites.py":
            continue
        if lines := _kind_branches(path):
            offenders[str(path.relative_to(root))] = lines
    assert offenders == {}


def test_no_template_branches_on_a_question_kind():
    templates = SURVEY.parent / "templates"
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in templates.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bq(uestion)?\.kind\s*(==|!=|in\b)", line)
    ]
    assert offenders == []


def test_the_branch_detector_sees_the_branches_it_forbids(tmp_path):
    path = tmp_path / "sample.py"
    path.write_text(
        "if question.kind == 'matrix': pass\n"
        "if kind in (QuestionKind.SCALE, QuestionKind.SINGLE_CHOICE): pass\n"
        "if question.kind_class.has_items: pass\n"
        "if step.kind in (StepKind.INVITATION, StepKind.REMINDER): pass\n"
        "if question.kind in ('matrix', 'scale'): pass\n"
    )
    assert sorted(set(_kind_branches(path))) == [1, 2, 5]

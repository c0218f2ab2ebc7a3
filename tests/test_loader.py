import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from survey.collection.models import Answer
from survey.enums import QuestionKind
from survey.questionnaire.loader import QuestionnaireError, load_questionnaire
from survey.questionnaire.models import Choice, Edition, Question
from tests.factories import ResponseFactory
from tests.helpers.questionnaires import HEADER, VALID, snapshot, write

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_a_valid_file_loads_sections_questions_and_choices(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    edition = Edition.objects.get(year=2030)
    assert [s.slug for s in edition.sections.all()] == ["usages", "organisation"]
    domains = Question.objects.get(code="usage_domaines")
    assert domains.condition_question.code == "usage_ia"
    assert domains.condition_codes == ["oui"]
    assert domains.choices.get(code="nsp").is_exclusive
    assert domains.choices.get(code="autre").is_other
    assert [c.code for c in domains.choices.all() if c.is_dont_know] == ["nsp"]
    # The file is the truth: a « Je ne sais pas » it does not flag is an ordinary option.
    assert not Question.objects.get(code="usage_ia").choices.get(code="nsp").is_dont_know
    assert edition.closes_at.isoformat() == "2030-07-11T21:59:59+00:00"


def test_loading_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, VALID)
    load_questionnaire(path)
    before = snapshot()
    report = load_questionnaire(path)
    assert not report.changed
    assert snapshot() == before


def test_a_changed_file_updates_texts_and_order_in_place(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    question_id = Question.objects.get(code="usage_ia").pk
    changed = VALID.replace("Utilisez-vous l'IA ?", "Votre collectivité utilise-t-elle l'IA ?")
    changed = changed.replace(
        '{ code = "mobilite", label = "Mobilité" },\n  { code = "eau", label = "Eau" },',
        '{ code = "eau", label = "Eau potable" },\n  { code = "mobilite", label = "Mobilité" },',
    )
    load_questionnaire(write(tmp_path, changed))
    question = Question.objects.get(code="usage_ia")
    assert question.pk == question_id
    assert question.text == "Votre collectivité utilise-t-elle l'IA ?"
    domains = Question.objects.get(code="usage_domaines")
    assert [(c.code, c.label) for c in domains.choices.all()][:2] == [
        ("eau", "Eau potable"),
        ("mobilite", "Mobilité"),
    ]


INVALID_FILES = {
    "unknown kind": (
        ('kind = "integer"', 'kind = "slider"'),
        "type inconnu « slider »",
    ),
    "duplicate code": (
        ('code = "orga_agents"', 'code = "usage_ia"'),
        "question « usage_ia » : ce code est déjà utilisé",
    ),
    "condition on a missing question": (
        ('show_if = { question = "usage_ia"', 'show_if = { question = "usage_budget"'),
        "n'est pas une question posée avant",
    ),
    "condition on an unknown answer": (
        ('any_of = ["oui"]', 'any_of = ["peut-etre"]'),
        "réponses inconnues",
    ),
    "repeated choice code": (
        ('{ code = "eau", label = "Eau" }', '{ code = "mobilite", label = "Eau" }'),
        "« mobilite » est répété",
    ),
    "missing choice code": (
        ('{ code = "eau", label = "Eau" }', '{ label = "Eau" }'),
        "n'a pas de code valide",
    ),
    "exclusive choice on a single choice": (
        ('label = "Je ne sais pas" },\n]', 'label = "Je ne sais pas", exclusive = true },\n]'),
        "est exclusif",
    ),
    "two dont-know choices": (
        ('{ code = "eau", label = "Eau" }', '{ code = "eau", label = "Eau", dont_know = true }'),
        "un seul choix « Je ne sais pas » (dont_know) par question, pas 2 (eau, nsp)",
    ),
    "choice question without choices": (
        ('choices = "oui_non_nsp"', ""),
        "la liste des choixs manque",
    ),
    "bad toml": (("[[sections]]", "[[sections"), "TOML valide"),
}  # fmt: skip


@pytest.mark.parametrize("case", INVALID_FILES, ids=list(INVALID_FILES))
def test_an_invalid_file_names_the_problem_and_writes_nothing(tmp_path, case):
    load_questionnaire(write(tmp_path, VALID))
    before = snapshot()
    (old, new), message = INVALID_FILES[case]
    assert old in VALID
    broken = VALID.replace(old, new, 1).replace("Combien d'agents ?", "Combien d'agents ? (v2)")
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaire(write(tmp_path, broken))
    assert message in str(error.value)
    assert snapshot() == before


def test_a_condition_on_a_later_question_is_refused(tmp_path):
    later = VALID.replace(
        "min = 0\n", 'min = 0\nshow_if = { question = "orga_budget", any_of = ["oui"] }\n'
    )
    with pytest.raises(QuestionnaireError, match="orga_budget"):
        load_questionnaire(write(tmp_path, later))
    assert not Edition.objects.exists()


def answer(code, value):
    question = Question.objects.get(code=code)
    response = ResponseFactory(edition=question.edition)
    return Answer.objects.create(response=response, question=question, value=value)


def test_removing_an_answered_question_is_refused_with_an_explanation(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    answer("orga_agents", 12)
    without = VALID.split('[[sections]]\nslug = "organisation"')[0]
    without += '[[sections]]\nslug = "organisation"\ntitle = "Organisation"\n\n'
    without += '[[sections.questions]]\ncode = "orga_autre"\nkind = "yes_no"\ntext = "Autre ?"\n'
    with pytest.raises(QuestionnaireError, match="orga_agents.*déjà des réponses"):
        load_questionnaire(write(tmp_path, without))
    assert Question.objects.filter(code="orga_agents").exists()
    assert not Question.objects.filter(code="orga_autre").exists()


def test_removing_an_answered_choice_is_refused_but_an_unanswered_one_goes(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    answer("usage_domaines", {"choices": ["eau"]})
    without_eau = VALID.replace('  { code = "eau", label = "Eau" },\n', "")
    with pytest.raises(QuestionnaireError, match="« eau » a déjà été répondu"):
        load_questionnaire(write(tmp_path, without_eau))
    without_mobilite = VALID.replace('  { code = "mobilite", label = "Mobilité" },\n', "")
    report = load_questionnaire(write(tmp_path, without_mobilite))
    assert "usage_domaines.mobilite" in report.deleted
    assert not Choice.objects.filter(code="mobilite").exists()


def test_removing_an_unanswered_question_deletes_it(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    start = VALID.index('[[sections.questions]]\ncode = "usage_domaines"')
    end = VALID.index('[[sections]]\nslug = "organisation"')
    without = VALID[:start] + VALID[end:]
    report = load_questionnaire(write(tmp_path, without))
    assert report.deleted == ["question usage_domaines"]


def test_changing_the_kind_of_an_answered_question_is_refused(tmp_path):
    decimal = VALID.replace('kind = "integer"', 'kind = "decimal"')
    load_questionnaire(write(tmp_path, decimal))
    answer("orga_agents", "4.5")
    with pytest.raises(QuestionnaireError, match="son type ne peut plus changer"):
        load_questionnaire(write(tmp_path, VALID))
    assert Answer.objects.get().value == "4.5"


def test_an_answered_integer_question_may_become_decimal_and_keeps_its_answers(tmp_path):
    load_questionnaire(write(tmp_path, VALID))
    saved = answer("orga_agents", 12)
    load_questionnaire(write(tmp_path, VALID.replace('kind = "integer"', 'kind = "decimal"')))
    saved.refresh_from_db()
    assert saved.question.kind == "decimal"
    assert saved.value == "12"
    assert saved.question.clean_answer("4,5") == "4.5"


def test_the_command_reports_problems_in_french(tmp_path):
    with pytest.raises(CommandError, match="n'a pas été chargé, rien n'y a été modifié"):
        call_command("load_questionnaire", str(write(tmp_path, HEADER)))


def entries_labelled(node, label):
    """Every table of a parsed questionnaire file whose label is `label`."""
    if isinstance(node, dict):
        if node.get("label") == label:
            yield node
        for value in node.values():
            yield from entries_labelled(value, label)
    elif isinstance(node, list):
        for value in node:
            yield from entries_labelled(value, label)


@pytest.mark.parametrize("name", ["2023.toml", "2025.toml", "citoyens-2025.toml"])
def test_every_je_ne_sais_pas_of_the_shipped_files_is_flagged_as_such(name):
    data = tomllib.loads((ROOT / "questionnaires" / name).read_text(encoding="utf-8"))
    choices = list(entries_labelled(data, "Je ne sais pas"))
    assert choices
    assert all(choice.get("dont_know") is True for choice in choices)


def test_the_2025_questionnaire_loads_with_its_themed_sections_and_stable_codes():
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    load_questionnaire(ROOT / "questionnaires" / "2025.toml")
    edition = Edition.objects.get(year=2025)
    slugs = [section.slug for section in edition.sections.all()]
    assert slugs[:1] == ["profil"]
    for theme in ("usages", "difficultes", "organisation", "souverainete"):
        assert theme in slugs
    questions = Question.objects.filter(edition=edition)
    assert 50 <= questions.count() <= 80
    assert questions.filter(condition_question__isnull=False).count() >= 5
    kinds = set(questions.values_list("kind", flat=True))
    assert kinds == set(QuestionKind.values)
    assert edition.closes_at.isoformat() == "2025-07-11T21:59:59+00:00"


GENERATIVE_AI_SECTION = '[[sections]]\nslug = "ia-generative"'


def test_the_2025_generative_ai_questions_move_to_their_own_page_on_a_database_with_answers(
    tmp_path,
):
    current = (ROOT / "questionnaires" / "2025.toml").read_text(encoding="utf-8")
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    # The file as first loaded: the generative AI questions at the end of « usages ».
    start = current.index(GENERATIVE_AI_SECTION)
    end = current.index("[[sections.questions]]", start)
    load_questionnaire(write(tmp_path, current[:start] + current[end:], "before.toml"))
    edition = Edition.objects.get(year=2025)
    response = ResponseFactory(edition=edition)
    values = {
        "usage_ia": {"choice": "oui"},
        "usage_iag": {"choice": "non"},
        "usage_iag_perso": True,
    }
    for code, value in values.items():
        Answer.objects.create(
            response=response, question=edition.questions.get(code=code), value=value
        )

    load_questionnaire(ROOT / "questionnaires" / "2025.toml")

    sections = {section.slug: section for section in edition.sections.all()}
    assert list(sections)[1:3] == ["usages", "ia-generative"]
    generative = [q.code for q in sections["ia-generative"].questions.order_by("position")]
    assert generative[:2] == ["usage_iag_perso", "usage_iag"]
    assert all(code.startswith("usage_iag") for code in generative)
    assert not sections["usages"].questions.filter(code__startswith="usage_iag").exists()
    saved = {a.question.code: a.value for a in response.answers.select_related("question")}
    assert saved == values
    # The usages page had 17 questions; none has more than the organisation page's 14 now.
    assert max(section.questions.count() for section in sections.values()) <= 14

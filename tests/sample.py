"""A small questionnaire with every kind of question, and answers saved the way inputs do."""

from django.utils import timezone

from survey.collection.models import Answer
from survey.enums import QuestionKind, ResponseStatus
from survey.questionnaire.models import Choice, Question
from tests.factories import (
    CollectiviteFactory,
    EditionFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
)


def make_questionnaire():
    """A small questionnaire with every kind of question, a condition and a private question."""
    edition = EditionFactory(year=2031, title="Baromètre 2031")
    usages = SectionFactory(edition=edition, position=1, slug="usages", title="Usages")
    orga = SectionFactory(edition=edition, position=2, slug="organisation", title="Organisation")
    usage = QuestionFactory(
        section=usages,
        position=1,
        code="usage_ia",
        kind=QuestionKind.SINGLE_CHOICE,
        text="Utilisez-vous l'IA ?",
        required=True,
        choices=["oui", "non", "nsp"],
    )
    QuestionFactory(
        section=usages,
        position=2,
        code="usage_domaines",
        kind=QuestionKind.MULTIPLE_CHOICE,
        text="Dans quels domaines ?",
        max_choices=2,
        choices=["mobilite", "eau", ("autre", {"is_other": True}), ("nsp", {"is_exclusive": True})],
        condition_question=usage,
        condition_codes=["oui"],
    )
    QuestionFactory(
        section=usages,
        position=3,
        code="usage_stade",
        kind=QuestionKind.SCALE,
        text="À quel stade ?",
        choices=["debut", "avance"],
    )
    QuestionFactory(
        section=usages,
        position=4,
        code="usage_impacts",
        kind=QuestionKind.MATRIX,
        text="Quels impacts ?",
        choices=["positif", "negatif", "nsp"],
        items=["agents", "usagers"],
    )
    QuestionFactory(section=orga, position=1, code="orga_agents", kind=QuestionKind.INTEGER)
    QuestionFactory(section=orga, position=2, code="orga_budget", kind=QuestionKind.DECIMAL)
    QuestionFactory(section=orga, position=3, code="orga_charte", kind=QuestionKind.YES_NO)
    QuestionFactory(section=orga, position=4, code="orga_commentaire", kind=QuestionKind.LONG_TEXT)
    QuestionFactory(
        section=orga,
        position=5,
        code="orga_fonction",
        kind=QuestionKind.SINGLE_CHOICE,
        text="Votre fonction ?",
        open_data=False,
        choices=["dsi", "elu"],
    )
    Choice.objects.filter(question__edition=edition, code="nsp").update(
        label="Je ne sais pas", is_dont_know=True
    )
    return edition


def answer(response, code, raw):
    """Save an answer the way every input path does: through Question.clean_answer."""
    question = Question.objects.get(edition=response.edition, code=code)
    Answer.objects.create(response=response, question=question, value=question.clean_answer(raw))


def submitted(edition, **kwargs):
    return ResponseFactory(
        edition=edition,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        progress=100,
        collectivite=kwargs.pop("collectivite", None) or CollectiviteFactory(),
        **kwargs,
    )

"""The registry of question kinds: everything about a kind lives in its module here.

To add a kind: write one module with a `Kind` subclass, list it in `KINDS` below, add its
member to `QuestionKind` (survey/enums.py) and a migration for the field's choices.
"""

from survey.questionnaire.kinds.decimal import Decimal
from survey.questionnaire.kinds.group import Group
from survey.questionnaire.kinds.integer import Integer
from survey.questionnaire.kinds.long_text import LongText
from survey.questionnaire.kinds.matrix import Matrix
from survey.questionnaire.kinds.multiple_choice import MultipleChoice
from survey.questionnaire.kinds.scale import Scale
from survey.questionnaire.kinds.short_text import ShortText
from survey.questionnaire.kinds.single_choice import SingleChoice
from survey.questionnaire.kinds.yes_no import YesNo

KINDS = {
    kind.code: kind
    for kind in (
        SingleChoice(),
        MultipleChoice(),
        Scale(),
        Matrix(),
        Integer(),
        Decimal(),
        ShortText(),
        LongText(),
        YesNo(),
        Group(),
    )
}


def kind_for(question_or_code):
    """The Kind of a question (or of a kind's code)."""
    code = getattr(question_or_code, "kind", question_or_code)
    return KINDS[code]

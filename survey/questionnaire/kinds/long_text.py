from survey.questionnaire.kinds.short_text import ShortText
from survey.questionnaire.models import TEXT_HARD_LIMIT


class LongText(ShortText):
    code = "long_text"
    label = "Texte long"
    default_limit = TEXT_HARD_LIMIT

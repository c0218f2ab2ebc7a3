from survey.questionnaire.kinds.single_choice import SingleChoice


class Scale(SingleChoice):
    """A single choice among ordered points."""

    code = "scale"
    label = "Échelle"
    allows_other = False
    inline_options = True

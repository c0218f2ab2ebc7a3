"""The models Django loads for the `survey` app, defined in the part they belong to.

Import models from their part (`survey.questionnaire.models`, `survey.collection.models`,
`survey.collectivites.models`); this module only makes Django find them under the one
`survey` app label. `new_public_id` stays reachable here for migration 0001.
"""

from survey.collection.models import (
    AccessRequest,
    Answer,
    Respondent,
    Response,
    ResponseSubmission,
    ResumeToken,
    new_public_id,
)
from survey.collectivites.models import Collectivite
from survey.questionnaire.models import Choice, Edition, MatrixItem, Question, Section

__all__ = [
    "AccessRequest",
    "Answer",
    "Choice",
    "Collectivite",
    "Edition",
    "MatrixItem",
    "Question",
    "Respondent",
    "Response",
    "ResponseSubmission",
    "ResumeToken",
    "Section",
    "new_public_id",
]

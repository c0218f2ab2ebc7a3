"""The admin of each part, registered when Django imports this module."""

from survey.collection import admin as collection_admin  # noqa: F401
from survey.collectivites import admin as collectivites_admin  # noqa: F401
from survey.questionnaire import admin as questionnaire_admin  # noqa: F401

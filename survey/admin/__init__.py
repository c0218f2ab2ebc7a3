"""The survey's admin, registered when Django imports this package: each part's, and the
responses' (responses.py), which exports them and so stands above the exports."""

from survey.admin import responses  # noqa: F401
from survey.collectivites import admin as collectivites_admin  # noqa: F401
from survey.questionnaire import admin as questionnaire_admin  # noqa: F401

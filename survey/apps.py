from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "survey"
    verbose_name = "Baromètre"

    def ready(self):
        from survey.questionnaire.models import connect_signals

        connect_signals()

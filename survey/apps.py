from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "survey"
    verbose_name = "Baromètre"

    def ready(self):
        from django.db.models import signals

        from survey.collectivites.models import Collectivite
        from survey.collectivites.search import forget_searches
        from survey.questionnaire.models import connect_signals

        connect_signals()
        # A collectivité changed (in the admin): cached search results are left behind.
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(forget_searches, sender=Collectivite, dispatch_uid="forget_searches")

from django.apps import AppConfig

from survey import permissions


class SurveyConfig(AppConfig):
    name = "survey"
    verbose_name = "Baromètre"
    # The « Observatoire » group follows the collection and exports it: it views everything
    # but the respondents' contact details, and changes nothing (barometre/group_permissions).
    observatoire_permissions = [
        permissions.VIEW_EDITION,
        "survey.view_section",
        "survey.view_question",
        "survey.view_choice",
        "survey.view_matrixitem",
        "survey.view_response",
        "survey.view_responsesubmission",
        "survey.view_answer",
        "survey.view_collectivite",
        permissions.EXPORT_RESPONSES,
    ]

    def ready(self):
        from django.db.models import signals

        from survey.collectivites.models import Collectivite
        from survey.collectivites.search import forget_searches
        from survey.questionnaire.models import connect_signals

        connect_signals()
        # The respondents' emails, written by the outbox from their templates.
        from survey.collection import emails

        emails.declare_kinds()
        # A collectivité changed (in the admin): cached search results are left behind.
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(forget_searches, sender=Collectivite, dispatch_uid="forget_searches")

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campagnes d'invitation et de relance"

    def ready(self):
        # The provider's tracking webhook (django-anymail) reports bounces and complaints.
        from campaigns import signals  # noqa: F401

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campagnes d'invitation et de relance"
    # The « Observatoire » group follows the campaigns (steps, the delivery log, the campaign
    # page); the contacts' addresses need the contact permission, given to named people only.
    observatoire_permissions = ["campaigns.view_step", "campaigns.view_message"]

    def ready(self):
        # The provider's tracking webhook (django-anymail) reports bounces and complaints.
        from campaigns import signals  # noqa: F401

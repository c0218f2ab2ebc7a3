from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campagnes d'invitation et de relance"
    # The « Observatoire » group follows the campaigns (steps, the campaign page; the delivery
    # log is the outbox's); the contacts' addresses need the contact permission, given to
    # named people only.
    observatoire_permissions = ["campaigns.view_step"]

    def ready(self):
        # The provider's tracking webhook (django-anymail) reports bounces and complaints.
        from campaigns import mail, signals  # noqa: F401

        mail.declare_kinds()

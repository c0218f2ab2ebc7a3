from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class BarometreAdminConfig(AdminConfig):
    default_site = "barometre.admin_site.BarometreAdminSite"


class BarometreConfig(AppConfig):
    """The project's own models: staff accounts' enrolment links."""

    name = "barometre"
    verbose_name = "Comptes du personnel"

    def ready(self):
        from barometre.group_permissions import grant_observatoire_permissions

        # Once per migrate (or flush): the signal is sent for each app, this one's included.
        post_migrate.connect(
            grant_observatoire_permissions,
            sender=self,
            dispatch_uid="grant_observatoire_permissions",
        )

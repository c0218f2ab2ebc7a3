from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class BarometreAdminConfig(AdminConfig):
    default_site = "barometre.admin_site.BarometreAdminSite"


class BarometreConfig(AppConfig):
    """The project's own models: staff accounts' enrolment links."""

    name = "barometre"
    verbose_name = "Comptes du personnel"

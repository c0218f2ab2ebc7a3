from django.contrib.admin.apps import AdminConfig


class BarometreAdminConfig(AdminConfig):
    default_site = "barometre.admin_site.BarometreAdminSite"

"""The « Observatoire » staff group: each app declares what the group may do in it, as the
`observatoire_permissions` of its AppConfig ("app_label.codename"), and one function grants
their union after every migrate (and every flush, which the tests' transactions run)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

OBSERVATOIRE = "Observatoire"


def declared_permissions():
    """Every app's `observatoire_permissions`, as one set of "app_label.codename"."""
    return {
        permission
        for app_config in global_apps.get_app_configs()
        for permission in getattr(app_config, "observatoire_permissions", ())
    }


def grant_observatoire_permissions(using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
    """Create the group if needed and give it exactly the declared permissions: one taken out
    of a declaration, or added to the group by hand, is taken from the group."""
    declared = declared_permissions()
    app_labels = {permission.split(".", 1)[0] for permission in declared}
    # After a migrate, each app's permissions are created in its turn: create the declaring
    # apps' now (a no-op when they exist), whichever app's turn this is.
    for app_label in app_labels:
        app_config = global_apps.get_app_config(app_label)
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    granted = [
        permission
        for permission in Permission.objects.using(using)
        .filter(content_type__app_label__in=app_labels)
        .select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" in declared
    ]
    group, _ = Group.objects.using(using).get_or_create(name=OBSERVATOIRE)
    group.permissions.set(granted)

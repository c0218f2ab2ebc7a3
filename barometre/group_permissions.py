"""Data migrations that give the « Observatoire » staff group the permissions of an app."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OBSERVATOIRE = "Observatoire"


def grant_to_observatoire(app_label, codenames):
    """A RunPython operation that grants these permissions of `app_label` to the group (and
    revokes them when the migration is reversed)."""

    def permissions(apps):
        Permission = apps.get_model("auth", "Permission")
        return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)

    def grant(apps, schema_editor):
        # Permissions are normally created after every migration has run: create them now.
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=OBSERVATOIRE)
        group.permissions.add(*permissions(apps))

    def revoke(apps, schema_editor):
        group = apps.get_model("auth", "Group").objects.filter(name=OBSERVATOIRE).first()
        if group is not None:
            group.permissions.remove(*permissions(apps))

    return migrations.RunPython(grant, revoke)

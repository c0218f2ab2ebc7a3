from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Observatoire"
# The Observatoire team follows the campaigns (steps, the delivery log, the campaign page);
# the contacts' addresses need the contact permission, given to named people only.
CODENAMES = ["view_step", "view_message"]


def grant_observatoire(apps, schema_editor):
    # Permissions are normally created after every migration has run: create them now.
    app_config = apps.get_app_config("campaigns")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="campaigns", codename__in=CODENAMES)
    )


def revoke_observatoire(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="campaigns", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("survey", "0005_exports_and_observatoire_group"),
    ]

    operations = [migrations.RunPython(grant_observatoire, revoke_observatoire)]

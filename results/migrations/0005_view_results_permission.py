from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Observatoire"
# The Observatoire team reads the weighted results (and changes nothing: publishing questions
# takes results.add_publication and results.delete_publication, given person by person).
CODENAMES = ["view_results", "view_computation", "view_publication"]


def grant_observatoire(apps, schema_editor):
    # Permissions are normally created after every migration has run: create them now.
    app_config = apps.get_app_config("results")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="results", codename__in=CODENAMES)
    )


def revoke_observatoire(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="results", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("results", "0003_weights_and_estimates"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="computation",
            options={
                "ordering": ["-computed_at"],
                "permissions": [("view_results", "Voir les résultats pondérés")],
                "verbose_name": "calcul des résultats",
                "verbose_name_plural": "calculs des résultats",
            },
        ),
        migrations.RunPython(grant_observatoire, revoke_observatoire),
    ]

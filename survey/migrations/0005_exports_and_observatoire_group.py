from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUP = "Observatoire"
# The Observatoire team follows the collection and exports it: it views everything but the
# respondents' contact details, and changes nothing.
VIEWED_MODELS = [
    "edition",
    "section",
    "question",
    "choice",
    "matrixitem",
    "response",
    "responsesubmission",
    "answer",
    "collectivite",
]


def create_observatoire_group(apps, schema_editor):
    # Permissions are normally created after every migration has run: create them now.
    app_config = apps.get_app_config("survey")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"view_{model}" for model in VIEWED_MODELS] + ["export_responses"]
    permissions = Permission.objects.filter(
        content_type__app_label="survey", codename__in=codenames
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*permissions)


def delete_observatoire_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("survey", "0004_access_requests"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="response",
            options={
                "ordering": ["-updated_at"],
                "permissions": [("export_responses", "Exporter les réponses")],
                "verbose_name": "réponse",
                "verbose_name_plural": "réponses",
            },
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["-updated_at"], name="response_last_activity_idx"),
        ),
        migrations.RunPython(create_observatoire_group, delete_observatoire_group),
    ]

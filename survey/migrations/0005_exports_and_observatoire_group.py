from django.db import migrations, models


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
        # This created the « Observatoire » group; barometre.group_permissions now does,
        # after every migrate, from the apps' declarations (AppConfig.observatoire_permissions).
    ]

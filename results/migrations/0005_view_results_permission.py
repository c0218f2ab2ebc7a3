from django.db import migrations

# This gave the « Observatoire » group the weighted results. The apps now declare the
# group's permissions (AppConfig.observatoire_permissions), granted after every migrate
# by barometre.group_permissions: one declaration, no list here to keep in step.


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
    ]

from django.db import migrations

from barometre.group_permissions import grant_to_observatoire

# The Observatoire team reads the weighted results (and changes nothing: publishing questions
# takes results.add_publication and results.delete_publication, given person by person).
CODENAMES = ["view_results", "view_computation", "view_publication"]


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
        grant_to_observatoire("results", CODENAMES),
    ]

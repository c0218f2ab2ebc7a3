from django.db import migrations, models


def flag_dont_know(apps, schema_editor):
    """Until now « Je ne sais pas » was recognised by its code (nsp, in the exports) or by its
    label (in the results): both kinds of choice carry the flag from now on."""
    Choice = apps.get_model("survey", "Choice")
    Choice.objects.filter(
        models.Q(code="nsp") | models.Q(label__istartswith="je ne sais pas")
    ).update(is_dont_know=True)


class Migration(migrations.Migration):
    dependencies = [
        ("survey", "0014_question_open_data_label_in_french"),
    ]

    operations = [
        migrations.AddField(
            model_name="choice",
            name="is_dont_know",
            field=models.BooleanField(
                default=False,
                help_text="Une réponse comptée comme les autres, que les résultats et les exports "
                "signalent (déclaré dans le fichier du questionnaire : dont_know = true).",
                verbose_name="« Je ne sais pas »",
            ),
        ),
        migrations.RunPython(flag_dont_know, migrations.RunPython.noop),
    ]

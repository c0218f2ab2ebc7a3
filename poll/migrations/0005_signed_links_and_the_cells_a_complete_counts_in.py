from django.db import migrations, models
from django.db.models import F, Q

# poll.profile's codes, as they were written (a migration keeps its own copy).
PROFILE = {"age": "profil_age", "sex": "profil_sexe", "region": "profil_region"}


def record_cells(apps, schema_editor):
    """Each complete's cells, from its profile; an excluded complete gives its place back,
    as exclusions do from now on."""
    Participation = apps.get_model("poll", "Participation")
    Quota = apps.get_model("poll", "Quota")
    Answer = apps.get_model("survey", "Answer")
    for participation in Participation.objects.filter(outcome="complete"):
        values = dict(
            Answer.objects.filter(
                response_id=participation.response_id, question__code__in=PROFILE.values()
            ).values_list("question__code", "value")
        )
        profile = {
            key: value.get("choice") if isinstance(value, dict) else value
            for key, value in ((key, values.get(code)) for key, code in PROFILE.items())
        }
        cells = list(
            Quota.objects.filter(edition_id=participation.edition_id)
            .filter(
                Q(dimension="age_sexe", age=profile["age"], sex=profile["sex"])
                | Q(dimension="region", region=profile["region"])
            )
            .values_list("pk", flat=True)
        )
        participation.quotas.set(cells)
        if participation.excluded:
            Quota.objects.filter(pk__in=cells, completes__gt=0).update(completes=F("completes") - 1)


class Migration(migrations.Migration):
    dependencies = [
        ("poll", "0004_observatoire_follows_the_poll"),
        ("survey", "0013_question_crosses_another_survey"),
    ]

    operations = [
        migrations.AddField(
            model_name="fieldwork",
            name="link_secret",
            field=models.CharField(
                blank=True,
                help_text="Tel que l'institut le donne. Renseigné, chaque lien doit porter « sig », la signature HMAC-SHA256 (en hexadécimal) de l'identifiant du panel avec ce secret ; un lien sans signature valable est refusé. Vide : les liens ne sont pas signés.",
                max_length=200,
                verbose_name="secret partagé des liens signés",
            ),
        ),
        migrations.AddField(
            model_name="participation",
            name="quotas",
            field=models.ManyToManyField(
                blank=True,
                help_text="Les cellules qui l'ont comptée à la fin du questionnaire ; une exclusion y libère sa place.",
                related_name="participations",
                to="poll.quota",
                verbose_name="quotas où elle compte",
            ),
        ),
        migrations.RunPython(record_cells, migrations.RunPython.noop),
    ]

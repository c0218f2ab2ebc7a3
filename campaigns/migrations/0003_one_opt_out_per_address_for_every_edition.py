from django.db import migrations, models


def merge_duplicate_opt_outs(apps, schema_editor):
    """Keep the earliest opt-out of an address for every edition, delete its duplicates
    (left by concurrent bounces before the constraint)."""
    OptOut = apps.get_model("campaigns", "OptOut")
    kept = set()
    for pk, email in (
        OptOut.objects.filter(edition__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", "email")
    ):
        if email in kept:
            OptOut.objects.filter(pk=pk).delete()
        kept.add(email)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_observatoire_follows_campaigns"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_opt_outs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="optout",
            constraint=models.UniqueConstraint(
                condition=models.Q(("edition__isnull", True)),
                fields=("email",),
                name="one_opt_out_per_address_for_every_edition",
                violation_error_message="Cette adresse est déjà exclue de tous les envois.",
            ),
        ),
    ]

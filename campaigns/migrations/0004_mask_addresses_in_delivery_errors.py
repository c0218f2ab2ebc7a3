import re

from django.db import migrations

# campaigns.mail.ADDRESS, as it was written (a migration keeps its own copy).
ADDRESS = re.compile(r'(?:"[^"]*"|[^\s<>()\[\],;]*)@[^\s<>()\[\],;]*')


def mask_addresses(apps, schema_editor):
    """The delivery log kept the mail server's answer with the recipient's address in it."""
    Message = apps.get_model("campaigns", "Message")
    for message in Message.objects.filter(last_error__contains="@").only("last_error"):
        message.last_error = ADDRESS.sub("[adresse masquée]", message.last_error)[:500]
        message.save(update_fields=["last_error"])


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_one_opt_out_per_address_for_every_edition"),
    ]

    operations = [migrations.RunPython(mask_addresses, migrations.RunPython.noop)]

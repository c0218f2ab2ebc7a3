from django.db import migrations

from barometre.group_permissions import grant_to_observatoire

# The Observatoire team follows the campaigns (steps, the delivery log, the campaign page);
# the contacts' addresses need the contact permission, given to named people only.
CODENAMES = ["view_step", "view_message"]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("survey", "0005_exports_and_observatoire_group"),
    ]

    operations = [grant_to_observatoire("campaigns", CODENAMES)]

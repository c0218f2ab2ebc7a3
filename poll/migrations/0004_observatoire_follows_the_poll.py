from django.db import migrations

from barometre.group_permissions import grant_to_observatoire

# The Observatoire team follows the poll's fieldwork (return addresses, quotas, sittings with
# their flags, margins, weighting runs) and reads it; excluding a response, loading margins
# and running the weights are changes, given to named people.
CODENAMES = [
    "view_fieldwork",
    "view_quota",
    "view_participation",
    "view_margin",
    "view_weightingrun",
]


class Migration(migrations.Migration):
    dependencies = [
        ("poll", "0003_weighting_runs"),
        ("survey", "0005_exports_and_observatoire_group"),
    ]

    operations = [grant_to_observatoire("poll", CODENAMES)]

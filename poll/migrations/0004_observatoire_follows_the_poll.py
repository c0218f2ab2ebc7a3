from django.db import migrations

# This gave the « Observatoire » group the poll's fieldwork. The apps now declare the
# group's permissions (AppConfig.observatoire_permissions), granted after every migrate
# by barometre.group_permissions: one declaration, no list here to keep in step.


class Migration(migrations.Migration):
    dependencies = [
        ("poll", "0003_weighting_runs"),
        ("survey", "0005_exports_and_observatoire_group"),
    ]

    operations = []

"""The message log is the outbox app's now (outbox 0001): campaigns forgets the model, while
its table, `campaigns_message`, stays as it is, rows included."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0007_step_texts_send_time_and_tests"),
        ("outbox", "0001_message_log_from_campaigns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Message")],
            database_operations=[],
        ),
    ]

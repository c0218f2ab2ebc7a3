"""The background sending of messages (django.tasks; see TASKS in the settings).

Rows queued before the outbox app name `campaigns.tasks.send_message` / `send_batch`:
campaigns.tasks still names these two tasks, so such a row runs them.
"""

from django.core.mail import mailers
from django.tasks import task

from outbox import mail


@task()
def send_message(pk):
    """Send one queued message; a no-op when it was sent, cancelled or taken meanwhile."""
    return mail.deliver(pk)


@task()
def send_batch(pks):
    """Send the queued messages of a campaign step, one after the other, through one
    connection to the mail server."""
    with mailers.default as backend:
        statuses = [mail.deliver(pk, backend=backend) for pk in pks]
    return sum(status == "sent" for status in statuses)

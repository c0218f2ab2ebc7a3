"""The background sending of messages (django.tasks; see TASKS in the settings)."""

from django.tasks import task

from campaigns import mail


@task()
def send_message(pk):
    """Send one queued message; a no-op when it was sent, cancelled or taken meanwhile."""
    return mail.deliver(pk)

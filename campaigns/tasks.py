"""The sending tasks live in outbox.tasks. Task rows queued before the move name
`campaigns.tasks.send_message` and `campaigns.tasks.send_batch` (django.tasks imports a row's
task by that path when it runs it): these names keep such rows running."""

from outbox.tasks import send_batch, send_message

__all__ = ["send_batch", "send_message"]

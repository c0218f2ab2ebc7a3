"""Whether the background worker is taking the tasks that wait (emails): read from
django-tasks-db's table, for the admin's banner."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

# A task due this long ago, and no task taken by any worker meanwhile: the worker is down.
STALL_AFTER = datetime.timedelta(minutes=5)
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def stalled_tasks(now=None):
    """(number of tasks due for more than STALL_AFTER, since when the oldest is due) when no
    worker has taken a task during that time; None when the worker keeps up, or when tasks
    are not stored in the database."""
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max

    cutoff = (now or timezone.now()) - STALL_AFTER
    # Waiting tasks first (the status is indexed): on most pages there are none.
    waiting = DBTaskResult.objects.ready().filter(
        Q(run_after=get_date_max(), enqueued_at__lte=cutoff) | Q(run_after__lte=cutoff)
    )
    count = waiting.count()
    if not count:
        return None
    if DBTaskResult.objects.filter(started_at__gt=cutoff).exists():
        return None  # a worker took a task lately: busy, not gone
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", "run_after").first()
    return count, oldest[0] if oldest[1] == get_date_max() else oldest[1]

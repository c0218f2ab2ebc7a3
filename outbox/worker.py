"""Recovering at once what a dead worker left: its task rows, and the messages of its tasks.

Each worker (`python manage.py db_worker`, barometre's override) holds, on a connection of its
own, a PostgreSQL advisory lock named after its worker id for as long as it lives; the
database releases it when the process dies, however it dies (kill -9 included). A task row
« running » whose worker's lock is free is therefore a dead worker's: it is marked failed, and
the queued messages that no live task is about to send are queued again. Every worker does
this when it starts, and `sweep_messages` (cron) does it too.
"""

import datetime

from django.db import connection, connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from outbox.models import Message

LOCK_SPACE = 0x62617230  # the first key of the advisory locks: "bar0", this project's workers
DEAD_WORKER = "campaigns.worker.WorkerDied"
TASK_ROWS_KEPT = datetime.timedelta(days=30)
# The sending tasks, under their path since the outbox app and before it (rows queued then).
MESSAGE_TASKS = {
    "outbox.tasks.send_message",
    "outbox.tasks.send_batch",
    "campaigns.tasks.send_message",
    "campaigns.tasks.send_batch",
}


def holds_locks():
    return connection.vendor == "postgresql"


def hold_worker_lock(worker_id):
    """Hold the worker's lock for the life of the process; returns the connection holding
    it (None where the database has no advisory locks)."""
    if not holds_locks():
        return None
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_SPACE, worker_id])
    return holder


def is_alive(worker_id):
    """Whether the worker still holds its lock (so it is running, somewhere)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_SPACE, worker_id])
        free = cursor.fetchone()[0]
        if free:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_SPACE, worker_id])
    return not free


def message_pks(task_row):
    """The messages a row of campaigns' sending tasks is about."""
    if task_row.task_path not in MESSAGE_TASKS:
        return []
    (argument,) = task_row.args_kwargs["args"]
    return argument if isinstance(argument, list) else [argument]


def recover(now=None, grace=datetime.timedelta(0)):
    """Mark the task rows of dead workers failed, and queue again every message due for
    longer than `grace` that no live or waiting task covers. Returns (tasks marked failed,
    messages queued again)."""
    from outbox.tasks import send_message

    now = now or timezone.now()
    dead, covered = [], set()
    for row in DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]):
        claimed = row.status == "RUNNING" and row.worker_ids
        if claimed and holds_locks() and not is_alive(row.worker_ids[-1]):
            dead.append(row.pk)
        else:
            covered.update(message_pks(row))
    marked = DBTaskResult.objects.filter(pk__in=dead, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path=DEAD_WORKER,
        traceback="Le worker qui exécutait cette tâche s'est arrêté en cours de route ; "
        "ses messages non envoyés ont été remis en file.",
    )
    due = Message.objects.due(now - grace).values_list("pk", flat=True)
    pks = [pk for pk in due if pk not in covered]
    for pk in pks:
        send_message.enqueue(pk)
    return marked, len(pks)


def forget_old_tasks(now=None):
    """Finished task rows are kept TASK_ROWS_KEPT for diagnosis, then deleted."""
    now = now or timezone.now()
    return DBTaskResult.objects.filter(finished_at__lt=now - TASK_ROWS_KEPT).delete()[0]

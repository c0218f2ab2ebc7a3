"""django-tasks-db's worker, which first recovers what a dead worker left (outbox.worker).

outbox comes before django_tasks_db in INSTALLED_APPS, so `manage.py db_worker` runs this
command.
"""

import logging

from django_tasks_db.management.commands import db_worker

from outbox.worker import hold_worker_lock, recover

logger = logging.getLogger("django_tasks_db")


class Command(db_worker.Command):
    help = (
        "Lance un worker des tâches de fond (django-tasks-db). Au démarrage, il marque en échec "
        "les tâches d'un worker arrêté en cours de route et remet en file les messages qu'elles "
        "n'ont pas envoyés."
    )

    def handle(self, *args, worker_id, **options):
        self._lock = hold_worker_lock(worker_id)  # held until the process ends
        marked, queued = recover()
        if marked or queued:
            logger.warning(
                "Tâches d'un worker arrêté marquées en échec : %s ; messages remis en file : %s.",
                marked,
                queued,
            )
        return super().handle(*args, worker_id=worker_id, **options)

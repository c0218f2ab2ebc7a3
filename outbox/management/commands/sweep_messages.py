import datetime

from django.core.management.base import BaseCommand

from outbox.worker import forget_old_tasks, recover


class Command(BaseCommand):
    help = (
        "Remet en file les messages en attente dont l'envoi est dû depuis plus de GRACE "
        "minutes et qu'aucune tâche vivante ou en attente ne couvre : tâche perdue par un "
        "worker arrêté en plein envoi, ou nouvelle tentative après un échec passager ; marque "
        "en échec les tâches des workers arrêtés et efface les tâches terminées depuis plus de "
        "30 jours. À lancer par cron toutes les cinq minutes, par exemple (chaque worker le "
        "fait aussi à son démarrage). Un message déjà envoyé ne l'est jamais deux fois."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=5, metavar="GRACE")

    def handle(self, grace, **options):
        marked, queued = recover(grace=datetime.timedelta(minutes=grace))
        forgotten = forget_old_tasks()
        self.stdout.write(f"{queued} message(s) remis en file.")
        if marked or forgotten:
            self.stdout.write(
                f"{marked} tâche(s) d'un worker arrêté marquée(s) en échec ; "
                f"{forgotten} tâche(s) terminée(s) effacée(s)."
            )

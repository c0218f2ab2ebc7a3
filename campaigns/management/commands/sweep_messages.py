import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.models import Message
from campaigns.tasks import send_message


class Command(BaseCommand):
    help = (
        "Remet en file les messages en attente dont l'envoi est dû depuis plus de GRACE "
        "minutes : tâche perdue par un worker arrêté en plein envoi, ou nouvelle tentative "
        "après un échec passager. À lancer par cron toutes les cinq minutes, par exemple. "
        "Un message déjà envoyé ne l'est jamais deux fois."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=5, metavar="GRACE")

    def handle(self, grace, **options):
        limit = timezone.now() - datetime.timedelta(minutes=grace)
        pks = list(Message.objects.due(limit).values_list("pk", flat=True))
        for pk in pks:
            send_message.enqueue(pk)
        self.stdout.write(f"{len(pks)} message(s) remis en file.")

from django.core.management.base import BaseCommand

from campaigns.audience import due_steps, queue_step


class Command(BaseCommand):
    help = (
        "Met en file les étapes de campagne dont la date est venue (relances J-n, avis 48 h "
        "avant la clôture), une seule fois chacune. À lancer par cron toutes les heures."
    )

    def handle(self, **options):
        for step in due_steps():
            count = queue_step(step)
            self.stdout.write(f"{step} ({step.edition.year}) : {count} message(s) en file.")

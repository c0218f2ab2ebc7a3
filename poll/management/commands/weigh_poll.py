from django.core.management.base import BaseCommand, CommandError

from poll.journey import SURVEY
from poll.weighting import weigh
from results.weighting import WeightingError
from survey.questionnaire.models import Edition


class Command(BaseCommand):
    help = "Calcule les poids des réponses complètes du sondage à partir des marges chargées."

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="année de l'édition")

    def handle(self, *args, **options):
        edition = Edition.objects.for_year(options["edition"], SURVEY)
        if edition is None:
            raise CommandError(f"Le sondage n'a pas d'édition {options['edition']}.")
        try:
            run = weigh(edition)
        except WeightingError as error:
            raise CommandError(str(error)) from error
        for line in run.summary():
            self.stdout.write(line)

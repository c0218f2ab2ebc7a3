from django.core.management.base import BaseCommand, CommandError

from poll.crossing import store_crossing
from poll.journey import SURVEY
from poll.weighting import weigh
from results.weighting import WeightingError
from survey.questionnaire.models import Edition


class Command(BaseCommand):
    help = (
        "Calcule les poids des réponses complètes du sondage à partir des marges chargées ; "
        "un calcul accepté enregistre aussi le croisement citoyens / collectivités."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="année de l'édition")
        parser.add_argument(
            "--merge",
            action="append",
            default=[],
            metavar="CRITERE:A+B",
            help="regroupe des catégories des marges pour ce calcul (par exemple "
            "region:corse+provence_alpes_cote_d_azur) ; répétable",
        )

    def handle(self, *args, **options):
        edition = Edition.objects.for_year(options["edition"], SURVEY)
        if edition is None:
            raise CommandError(f"Le sondage n'a pas d'édition {options['edition']}.")
        try:
            run = weigh(edition, merges=options["merge"])
        except WeightingError as error:
            raise CommandError(str(error)) from error
        for line in run.summary():
            self.stdout.write(line)
        if run.is_refused:
            raise CommandError(
                "Calcul refusé : les poids ne sont pas enregistrés et les réponses gardent ceux "
                "du dernier calcul accepté. " + " ".join(run.refusals)
            )
        store_crossing(edition.year)
        self.stdout.write("Croisement citoyens / collectivités enregistré pour la page publique.")

from django.core.management.base import BaseCommand, CommandError

from survey import numbers
from survey.collectivites.search import DEFAULT_DATA_FILE, CollectiviteFileError, load_collectivites
from survey.enums import CollectiviteKind


class Command(BaseCommand):
    help = "Charge ou met à jour la liste officielle des collectivités (voir data/README.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=str(DEFAULT_DATA_FILE),
            help="Fichier CSV (éventuellement compressé en gzip) ; par défaut celui du dépôt.",
        )

    def handle(self, path, **options):
        try:
            report = load_collectivites(path)
        except CollectiviteFileError as error:
            raise CommandError(str(error)) from None
        for kind in CollectiviteKind:
            count = report.by_kind.get(kind.value, 0)
            self.stdout.write(f"{kind.label} : {numbers.integer(count)}")
        self.stdout.write(
            f"{numbers.integer(report.created)} créée(s), "
            f"{numbers.integer(report.updated)} modifiée(s), "
            f"{numbers.integer(report.unchanged)} inchangée(s)."
        )
        if report.missing_from_file:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.missing_from_file} collectivité(s) en base absente(s) du fichier : "
                    "conservée(s)."
                )
            )
        self.stdout.write(self.style.SUCCESS("Collectivités chargées."))

import time

from django.core.management.base import BaseCommand, CommandError

from results.models import Frame, FrameError
from survey import numbers
from survey.models import Edition


class Command(BaseCommand):
    help = (
        "Fige la base de sondage d'une édition à partir de la liste officielle des "
        "collectivités chargée en base."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="Année de l'édition.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Refige une base déjà figée (refusé une fois l'édition ouverte).",
        )

    def handle(self, edition, force, **options):
        year = edition
        edition = Edition.objects.for_year(year)
        if edition is None:
            raise CommandError(f"Aucune édition {year}.")
        started = time.perf_counter()
        try:
            frame = Frame.freeze(edition, force=force)
        except FrameError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        for stratum in frame.strata.all():
            self.stdout.write(
                f"{stratum.label} : {numbers.integer(stratum.collectivite_count)} collectivités, "
                f"{numbers.integer(stratum.population)} habitants"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Base de sondage {year} figée : {numbers.integer(frame.collectivite_count)} "
                f"collectivités en {numbers.decimal_number(elapsed, 1)} s."
            )
        )

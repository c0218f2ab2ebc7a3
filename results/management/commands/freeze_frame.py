import time

from django.core.management.base import BaseCommand, CommandError

from results.models import Frame, FrameError
from survey import numbers
from survey.enums import Audience
from survey.management.editions import add_survey_argument, find_edition


class Command(BaseCommand):
    help = (
        "Fige la base de sondage d'une édition à partir de la liste officielle des "
        "collectivités chargée en base."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="Année de l'édition.")
        add_survey_argument(parser)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Refige une base déjà figée (refusé une fois l'édition ouverte).",
        )

    def handle(self, edition, survey, force, **options):
        year = edition
        edition = find_edition(year, survey, audience=Audience.COLLECTIVITES)
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

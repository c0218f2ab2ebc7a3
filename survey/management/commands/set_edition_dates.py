import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from survey.management.editions import add_survey_argument, find_edition_of_year


def aware_datetime(text):
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Date invalide : {text!r} (format 2025-07-11T23:59:59+02:00)") from None
    if value.tzinfo is None:
        raise CommandError(f"Précisez le fuseau horaire de {text!r}, par exemple +02:00.")
    return value


class Command(BaseCommand):
    help = (
        "Change la période de collecte d'une édition (prolongation, ou démonstration d'une "
        "édition passée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        # No default: both surveys may have an edition that year, and dates are not guessed.
        add_survey_argument(parser, barometer_by_default=False)
        parser.add_argument("--opens-at", type=aware_datetime)
        parser.add_argument("--closes-at", type=aware_datetime)

    def handle(self, year, survey, opens_at, closes_at, **options):
        edition = find_edition_of_year(year, survey)
        edition.opens_at = opens_at or edition.opens_at
        edition.closes_at = closes_at or edition.closes_at
        if edition.closes_at <= edition.opens_at:
            raise CommandError("La clôture doit suivre l'ouverture.")
        edition.save(update_fields=["opens_at", "closes_at"])
        opens, closes = localtime(edition.opens_at), localtime(edition.closes_at)
        self.stdout.write(
            f"{edition.title} ({edition.survey.code}) : "
            f"du {opens:%d/%m/%Y %H:%M} au {closes:%d/%m/%Y %H:%M}."
        )

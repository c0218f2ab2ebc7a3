import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from survey.models import Respondent


def parse_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Date invalide : {text!r} (format AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = (
        "Efface les coordonnées (adresse, nom, fonction) des répondants des éditions closes "
        "avant DATE. Les réponses sont conservées."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=parse_date, required=True, metavar="DATE")
        parser.add_argument("--dry-run", action="store_true", help="Compter sans rien effacer.")

    def handle(self, before, dry_run, **options):
        limit = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
        if limit > timezone.now():
            raise CommandError("La date doit être passée.")
        respondents = Respondent.objects.filter(response__edition__closes_at__lt=limit).exclude(
            email="", name="", role=""
        )
        with transaction.atomic():
            count = (
                respondents.count() if dry_run else respondents.update(email="", name="", role="")
            )
        verb = "seraient effacées" if dry_run else "effacées"
        self.stdout.write(f"Coordonnées de {count} répondant(s) {verb}.")

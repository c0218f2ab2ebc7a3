import csv

from django.core.management.base import BaseCommand

from poll.crossing import iter_table


class Command(BaseCommand):
    help = "Écrit en CSV le tableau croisé citoyens / collectivités d'une année."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, **options):
        csv.writer(self.stdout).writerows(iter_table(options["year"]))

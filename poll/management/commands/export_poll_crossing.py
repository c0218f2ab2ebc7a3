from django.core.management.base import BaseCommand

from poll.crossing import iter_table
from survey.exports.csv import render_csv


class Command(BaseCommand):
    help = "Écrit en CSV le tableau croisé citoyens / collectivités d'une année."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, **options):
        for chunk in render_csv(iter_table(options["year"])):
            self.stdout.write(chunk.decode(), ending="")

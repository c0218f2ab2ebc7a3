import sys

from django.core.management.base import BaseCommand, CommandError

from survey.exports.formats import EXPORTERS
from survey.exports.options import DEFAULT_STATUS, STATUSES, ExportOptions
from survey.management.editions import add_survey_argument, find_survey
from survey.questionnaire.models import Edition


class Command(BaseCommand):
    help = (
        "Exporte les réponses d'une édition (CSV, CSV long, XLSX, JSON, jeu de données ouvertes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--edition", type=int, help="Année de l'édition (défaut : la dernière)."
        )
        add_survey_argument(parser)
        parser.add_argument("--format", choices=list(EXPORTERS), default="csv")
        parser.add_argument("--status", choices=list(STATUSES), default=DEFAULT_STATUS)
        parser.add_argument("--labels", action="store_true", help="Libellés au lieu des codes.")
        parser.add_argument(
            "--semicolon", action="store_true", help="Séparateur « ; » (Excel en français)."
        )
        parser.add_argument("--bom", action="store_true", help="Marque UTF-8 pour Excel.")
        parser.add_argument(
            "--free-text",
            action="store_true",
            help="Jeu de données ouvertes : publier aussi les réponses en texte libre.",
        )
        parser.add_argument(
            "--contacts",
            action="store_true",
            help="Inclure les coordonnées des répondants (jamais dans le jeu de données ouvertes).",
        )
        parser.add_argument(
            "--output", required=True, help="Fichier à écrire (« - » : la sortie standard)."
        )

    def handle(self, *args, **options):
        find_survey(options["survey"])
        if options["edition"] is None:
            edition = Edition.objects.current(options["survey"])
            if edition is None:
                raise CommandError("Aucune édition : chargez d'abord un questionnaire.")
        else:
            edition = Edition.objects.for_year(options["edition"], options["survey"])
            if edition is None:
                editions = Edition.objects.of(options["survey"])
                years = ", ".join(str(y) for y in editions.values_list("year", flat=True))
                raise CommandError(
                    f"Pas d'édition {options['edition']} (éditions : {years or 'aucune'})."
                )
        export_options = ExportOptions(
            status=options["status"],
            labels=options["labels"],
            delimiter=";" if options["semicolon"] else ",",
            bom=options["bom"],
            free_text=options["free_text"],
            contacts=options["contacts"],
        )
        chunks = EXPORTERS[options["format"]](edition, export_options).render()
        if options["output"] == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        try:
            with open(options["output"], "wb") as output:
                for chunk in chunks:
                    output.write(chunk)
        except OSError as error:
            raise CommandError(f"Impossible d'écrire {options['output']} : {error}") from None
        self.stderr.write(f"Export écrit dans {options['output']}.")

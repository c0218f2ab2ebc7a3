from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from poll.journey import SURVEY
from poll.weighting import (
    MarginFileError,
    margins_from_official_list,
    read_margins,
    replace_margins,
)
from survey.questionnaire.models import Edition


class Command(BaseCommand):
    help = "Charge les marges de redressement du sondage (format : docs/poll.md)."

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="année de l'édition")
        parser.add_argument("file", nargs="?", help="fichier CSV des marges")
        parser.add_argument(
            "--from-official-list",
            type=int,
            metavar="ANNEE",
            help="régions et tailles de commune tirées de la liste officielle (année des données)",
        )
        parser.add_argument(
            "--test",
            action="store_true",
            help="marque les marges du fichier comme données de test (jamais publiées)",
        )

    def handle(self, *args, **options):
        edition = Edition.objects.for_year(options["edition"], SURVEY)
        if edition is None:
            raise CommandError(f"Le sondage n'a pas d'édition {options['edition']}.")
        if not options["file"] and not options["from_official_list"]:
            raise CommandError("Indiquez un fichier de marges ou --from-official-list.")
        try:
            if options["file"]:
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"Fichier introuvable : {path}")
                count = replace_margins(
                    edition, read_margins(edition, path.read_text("utf-8"), test=options["test"])
                )
                self.stdout.write(f"{path} : {count} marge(s) chargée(s).")
                if edition.margins.filter(is_test=True).exists():
                    self.stdout.write(
                        "Marges de test : les chiffres pondérés sur elles ne seront pas publiés."
                    )
            if options["from_official_list"]:
                margins = margins_from_official_list(edition, options["from_official_list"])
                count = replace_margins(edition, margins)
                self.stdout.write(f"Liste officielle : {count} marge(s) chargée(s).")
        except MarginFileError as error:
            raise CommandError(str(error)) from error

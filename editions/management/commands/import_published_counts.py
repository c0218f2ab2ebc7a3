from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editions.importer import ImportRefused, import_published
from survey.enums import Audience
from survey.management.editions import add_survey_argument, find_edition


class Command(BaseCommand):
    help = (
        "Importe le tableau publié d'une édition recueillie ailleurs (effectifs par strate et par "
        "réponse) et les effectifs nationaux de ses strates (docs/editions.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", help="Tableau publié (CSV), ex. All_statistics_2023.csv")
        parser.add_argument("--edition", type=int, required=True, help="Année, ex. 2023")
        add_survey_argument(parser)
        parser.add_argument(
            "--national",
            required=True,
            help="Effectifs nationaux par strate (CSV), ex. data/national-counts-2023.csv",
        )

    def handle(self, table, edition, survey, national, **options):
        # Published tables count collectivités by stratum.
        found = find_edition(
            edition,
            survey,
            audience=Audience.COLLECTIVITES,
            hint=f"Chargez d'abord son questionnaire (questionnaires/{edition}.toml).",
        )
        try:
            count = import_published(found, read(table), read(national))
        except ImportRefused as refused:
            raise CommandError(
                "Rien n'a été importé :\n- " + "\n- ".join(refused.problems)
            ) from None
        self.stdout.write(self.style.SUCCESS(f"{count} case(s) importée(s) pour {edition}."))


def read(path):
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"Fichier introuvable : {path}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} n'est pas encodé en UTF-8.") from None

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey.management.editions import add_survey_argument, find_edition
from survey.questionnaire.models import Edition
from survey.questionnaire.writer import next_edition_file


class Command(BaseCommand):
    help = (
        "Prépare le fichier du questionnaire de l'année suivante à partir d'une édition : "
        "mêmes codes, chaque question déclarée « identical », dates à compléter."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="Année de départ, ex. 2025")
        add_survey_argument(parser)
        parser.add_argument("--year", type=int, help="Année à préparer (par défaut : la suivante)")
        parser.add_argument(
            "--output", help="Fichier à écrire (par défaut : questionnaires/<année>.toml)"
        )
        parser.add_argument("--force", action="store_true", help="Remplacer un fichier existant")

    def handle(self, edition, survey, year, output, force, **options):
        source = find_edition(edition, survey)
        year = year or edition + 1
        if year <= edition:
            raise CommandError(f"L'année à préparer doit suivre {edition}.")
        if Edition.objects.for_year(year, survey) is not None:
            raise CommandError(f"L'édition {year} de « {survey} » existe déjà dans la base.")
        path = Path(output or f"questionnaires/{year}.toml")
        if path.exists() and not force:
            raise CommandError(f"{path} existe déjà : --force pour le remplacer.")
        path.write_text(next_edition_file(source, year), encoding="utf-8")
        skipped = source.questions.filter(is_active=False).count()
        if skipped:
            self.stdout.write(f"{skipped} question(s) désactivée(s) laissée(s) de côté.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path} écrit. Complétez opens_at et closes_at dans [edition], revoyez les "
                "libellés et la filiation, puis chargez-le avec load_questionnaire."
            )
        )

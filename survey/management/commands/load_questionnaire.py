from django.core.management.base import BaseCommand, CommandError

from survey.questionnaire.loader import QuestionnaireError, load_questionnaire


class Command(BaseCommand):
    help = "Charge ou met à jour un questionnaire depuis un fichier TOML (voir questionnaires/)."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="path",
            help="Fichiers à charger dans l'ordre (une édition avant celles qui la continuent), "
            "par exemple questionnaires/2023.toml questionnaires/2025.toml",
        )

    def handle(self, paths, **options):
        for path in paths:
            self.load(path, options["verbosity"])

    def load(self, path, verbosity):
        try:
            report = load_questionnaire(path)
        except QuestionnaireError as error:
            raise CommandError(
                f"Le questionnaire {path} n'a pas été chargé, rien n'y a été modifié :\n- "
                + "\n- ".join(error.problems)
            ) from None
        if not report.changed:
            self.stdout.write(f"{path} : questionnaire déjà à jour, rien n'a changé.")
            return
        for verb, entries in (
            ("créé", report.created),
            ("modifié", report.updated),
            ("supprimé", report.deleted),
        ):
            if entries:
                self.stdout.write(f"{len(entries)} élément(s) {verb}(s).")
                for entry in entries[:200] if verbosity > 1 else []:
                    self.stdout.write(f"  {entry}")
        self.stdout.write(self.style.SUCCESS(f"{path} : questionnaire chargé."))

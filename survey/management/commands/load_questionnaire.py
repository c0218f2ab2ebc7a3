from django.core.management.base import BaseCommand, CommandError

from survey.questionnaire.loader import QuestionnaireError, load_questionnaire


class Command(BaseCommand):
    help = "Charge ou met à jour un questionnaire depuis un fichier TOML (voir questionnaires/)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Chemin du fichier, par exemple questionnaires/2025.toml")

    def handle(self, path, **options):
        try:
            report = load_questionnaire(path)
        except QuestionnaireError as error:
            raise CommandError(
                "Le questionnaire n'a pas été chargé, rien n'a été modifié :\n- "
                + "\n- ".join(error.problems)
            ) from None
        if not report.changed:
            self.stdout.write("Questionnaire déjà à jour : rien n'a changé.")
            return
        for verb, entries in (
            ("créé", report.created),
            ("modifié", report.updated),
            ("supprimé", report.deleted),
        ):
            if entries:
                self.stdout.write(f"{len(entries)} élément(s) {verb}(s).")
                for entry in entries[:200] if options["verbosity"] > 1 else []:
                    self.stdout.write(f"  {entry}")
        self.stdout.write(self.style.SUCCESS("Questionnaire chargé."))

from django.core.management.base import BaseCommand, CommandError

from results.estimation import run_computation
from results.models import Frame
from results.weighting import WeightingError
from survey import numbers
from survey.collection.models import Response
from survey.enums import Audience
from survey.management.editions import add_survey_argument, find_edition


class Command(BaseCommand):
    help = (
        "Calcule les poids calés et les estimations (avec leurs intervalles) d'une édition, "
        "et les enregistre : les pages de résultats ne font que les lire."
    )

    def add_arguments(self, parser):
        parser.add_argument("--edition", type=int, required=True, help="Année de l'édition.")
        add_survey_argument(parser)
        parser.add_argument(
            "--sans-regroupement",
            action="store_true",
            dest="no_collapse",
            help="Échoue sur une strate ou une région sans répondant au lieu de la regrouper.",
        )

    def handle(self, edition, survey, no_collapse, **options):
        year = edition
        edition = find_edition(year, survey, audience=Audience.COLLECTIVITES)
        frame = Frame.objects.filter(edition=edition).first()
        if frame is None:
            raise CommandError(
                f"L'édition {year} n'a pas de base de sondage : figez-la d'abord "
                f"(manage.py freeze_frame --edition {year} --survey {survey})."
            )
        if not Response.objects.submitted().filter(edition=edition).exists():
            raise CommandError(f"Aucune réponse envoyée pour l'édition {year} : rien à calculer.")
        try:
            computation = run_computation(frame, collapse=not no_collapse)
        except WeightingError as error:
            raise CommandError(str(error)) from None
        write = self.stdout.write
        write(f"Réponses pondérées (n) : {numbers.integer(computation.respondent_count)}")
        if computation.other_structure_count:
            write(
                f"Réponses d'autres structures, comptées à part et non pondérées : "
                f"{numbers.integer(computation.other_structure_count)}"
            )
        for entry in computation.collapsed_strata:
            what = "Strate" if "strate" in entry else "Région"
            write(
                f"{what} sans répondant : « {entry['libelle']} », regroupée avec "
                f"« {entry['libelle_regroupement']} »"
            )
        if not computation.collapsed_strata:
            write("Aucune strate ni région regroupée.")
        write(
            f"Facteurs d'ajustement : de {numbers.decimal_number(computation.factor_min, 3)} "
            f"à {numbers.decimal_number(computation.factor_max, 3)}"
        )
        write(
            f"Poids : de {numbers.decimal_number(computation.weight_min, 2)} "
            f"à {numbers.decimal_number(computation.weight_max, 2)}"
        )
        write(f"Efficacité de Kish : {numbers.decimal_number(computation.kish_efficiency, 3)}")
        write(
            "Taille effective de l'échantillon : "
            f"{numbers.decimal_number(computation.effective_n, 1)}"
        )
        write(f"Estimations enregistrées : {numbers.integer(computation.estimates.count())}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Résultats {year} calculés en "
                f"{numbers.decimal_number(computation.duration_seconds, 1)} s."
            )
        )

from django.core.management.base import BaseCommand, CommandError

from poll.crossing import store_crossing


class Command(BaseCommand):
    help = (
        "Calcule et enregistre le croisement citoyens / collectivités d'une année, que la page "
        "publique lit (à relancer après compute_results ; weigh_poll le fait lui-même)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, **options):
        computation = store_crossing(options["year"])
        if computation is None:
            raise CommandError(f"Le sondage n'a pas d'édition {options['year']}.")
        count = computation.figures.count()
        self.stdout.write(f"{computation} : {count} chiffre(s) croisé(s) enregistré(s).")
        if computation.weighting_run is None:
            self.stdout.write("Aucun calcul des poids accepté : pas de chiffres des citoyens.")
        elif computation.on_test_margins:
            self.stdout.write(
                "Poids des citoyens sur des marges de test : la page publique ne montre pas "
                "leurs chiffres."
            )

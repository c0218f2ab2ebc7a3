"""The poll's columns in the responses' exports: how each sitting ended, its quality flags,
whether staff excluded it, and its weight.

The panel id leaves with the answers in one column only, `id_institut`, so that the institute
can match its own data; never in the open-data set.
"""

from poll.models import Flag, Outcome, Participation
from survey.questionnaire.columns import Column

OUTCOME_CATEGORIES = [(outcome.value, outcome.label) for outcome in Outcome]
OUTCOME_LABELS = dict(Outcome.choices)
FLAG_LABELS = dict(Flag.choices)


def participation_columns(options):
    columns = []
    if not options.open_data:
        columns.append(
            Column(
                "id_institut",
                "Identifiant du répondant dans le panel de l'institut",
                description="Seul lien avec l'institut ; absent du jeu de données ouvertes.",
            )
        )
    return columns + [
        Column("issue", "Issue de la participation", categories=OUTCOME_CATEGORIES),
        Column(
            "signalements",
            "Signalements de qualité",
            description="Codes séparés par « | » : "
            + ", ".join(f"{flag.value} ({flag.label.lower()})" for flag in Flag)
            + ". Vide si aucun.",
        ),
        Column(
            "exclue",
            "Exclue des résultats par l'équipe",
            "boolean",
            "Les réponses signalées comptent tant que l'équipe ne les a pas exclues.",
        ),
        Column(
            "poids",
            "Poids de la réponse",
            "number",
            "Poids calé sur les marges de la population du dernier calcul des poids, ramené "
            "à une moyenne de 1 ; vide si la réponse n'est pas pondérée.",
            constraints={"minimum": 0},
        ),
    ]


class ParticipationCells:
    """The poll's columns, response by response, read at once for the edition."""

    def __init__(self, edition, options):
        self.edition = edition
        self.open_data = options.open_data
        self.labels = options.labels
        self._by_response = None

    def _load(self):
        rows = Participation.objects.filter(edition=self.edition).values_list(
            "response_id", "panel_id", "outcome", "flags", "excluded", "weight"
        )
        return {row[0]: row[1:] for row in rows.iterator(chunk_size=5000)}

    def __call__(self, response):
        if self._by_response is None:
            self._by_response = self._load()
        panel_id, outcome, flags, excluded, weight = self._by_response.get(
            response.pk, (None, None, [], None, None)
        )
        if self.labels:
            outcome = OUTCOME_LABELS.get(outcome, outcome)
            flags = [FLAG_LABELS.get(flag, flag) for flag in flags]
        cells = [] if self.open_data else [panel_id]
        return cells + [outcome, " | ".join(flags) or None, excluded, weight]

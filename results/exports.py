"""Results in files: the estimates as CSV, XLSX and an open-data resource, and the weight
columns that the responses' exports gain.

The same rows feed the staff downloads (every estimate, with its reliability) and the
open-data resource (published questions only, suppressed cells left out), so that both read
alike and one Table Schema describes them.
"""

import io

from openpyxl import Workbook

from results.models import (
    Computation,
    Estimate,
    Publication,
    Reliability,
    Statistic,
    Stratum,
    Weight,
)
from results.presentation import interval_text, line_labels, publication_rule, value_text
from survey import numbers
from survey.exports.csv import neutralise, render_csv
from survey.questionnaire.columns import Column

ESTIMATE_COLUMNS = [
    Column("question", "Code de la question", constraints={"required": True}),
    Column("intitule", "Intitulé de la question"),
    Column("domaine", "Domaine", description="toutes, 3500-plus, type:…, strate:…, region:…"),
    Column("libelle_domaine", "Libellé du domaine"),
    Column("ligne", "Ligne de la matrice", description="Vide hors matrice."),
    Column("libelle_ligne", "Libellé de la ligne"),
    Column("option", "Code de l'option", description="Vide pour une moyenne ou une médiane."),
    Column("libelle_option", "Libellé de l'option"),
    Column(
        "statistique",
        "Statistique",
        categories=[("proportion", "Proportion"), ("moyenne", "Moyenne"), ("mediane", "Médiane")],
    ),
    Column("denominateur", "Dénominateur (qui compte)"),
    Column("n", "Effectif non pondéré de l'option", "integer", constraints={"minimum": 0}),
    Column("n_base", "Effectif non pondéré du dénominateur", "integer", constraints={"minimum": 0}),
    Column(
        "estimation",
        "Estimation pondérée",
        "number",
        "Proportion entre 0 et 1, ou moyenne, ou médiane ; dans les fichiers publics, "
        "arrondie au millième pour une proportion, au dixième sinon (de même pour les bornes).",
    ),
    Column("ic95_bas", "Borne basse de l'intervalle de confiance à 95 %", "number"),
    Column("ic95_haut", "Borne haute de l'intervalle de confiance à 95 %", "number"),
    Column("cv", "Coefficient de variation", "number"),
    Column("n_effectif", "Taille effective (au plus le nombre de réponses)", "number"),
    Column(
        "fiabilite",
        "Fiabilité",
        categories=[(r.value, r.label) for r in Reliability],
        description=" ".join(publication_rule()),
    ),
    Column(
        "texte_estimation",
        "Estimation telle que les pages l'écrivent",
        description="Texte, arrondi comme sur les pages (« 43,3 % ») : à citer tel quel.",
    ),
    Column(
        "texte_intervalle",
        "Intervalle de confiance à 95 % tel que les pages l'écrivent",
        description="Texte, arrondi comme sur les pages (« [41,2 ; 45,3] », en % pour une "
        "proportion).",
    ),
]
ESTIMATES_HEADER = [column.name for column in ESTIMATE_COLUMNS]


def estimates_of(computation, questions=None, public=False):
    """The computation's estimates, in questionnaire order; on the public side, published
    questions only and without the suppressed or withheld cells (the public page shows none
    of their figures either)."""
    estimates = Estimate.objects.filter(computation=computation).select_related("question")
    if questions is not None:
        estimates = estimates.filter(question__in=questions)
    if public:
        published = Publication.objects.filter(edition_id=computation.edition_id)
        estimates = estimates.filter(
            question__in=published.values("question"),
        ).exclude(reliability__in=Reliability.hidden())
    return estimates.order_by(
        "question__section__position", "question__position", "domain", "row_code", "pk"
    )


# The public files give each figure to the precision the pages show, one digit more: a
# proportion to the thousandth (43,3 % is 0.433), a mean or a median to the tenth, and no
# more, since the data allow no more. Staff downloads keep every digit for their checks.
PUBLIC_DIGITS = {Statistic.PROPORTION: 3, Statistic.MEAN: 1, Statistic.MEDIAN: 1}


def _public_figures(estimate):
    """(estimate, low, high, cv, effective n) rounded as the public files give them."""
    digits = PUBLIC_DIGITS[estimate.statistic]

    def rounded(value, places):
        # The pages' rule (half away from zero on the decimal value): 0.4325 gives 0.433, as
        # the page's « 43,3 % », where round() on the binary float would give 0.432.
        return None if value is None else float(numbers.rounded(value, places))

    return (
        rounded(estimate.value, digits),
        rounded(estimate.ci_low, digits),
        rounded(estimate.ci_high, digits),
        rounded(estimate.cv, 2),
        rounded(estimate.effective_n, 1),
    )


def iter_estimate_rows(estimates, public=False):
    """Header, then one row per estimate (rounded as the public files give them if
    `public`)."""
    yield ESTIMATES_HEADER
    labels = {}
    for estimate in estimates.iterator(chunk_size=2000):
        question = estimate.question
        if question.pk not in labels:
            labels[question.pk] = line_labels(question)
        choices, _, rows = labels[question.pk]
        figures = (
            _public_figures(estimate)
            if public
            else (
                estimate.value,
                estimate.ci_low,
                estimate.ci_high,
                estimate.cv,
                estimate.effective_n,
            )
        )
        yield [
            question.code,
            question.text,
            estimate.domain,
            estimate.domain_label,
            estimate.row_code or None,
            rows.get(estimate.row_code) if estimate.row_code else None,
            estimate.choice_code or None,
            choices.get(estimate.choice_code) if estimate.choice_code else None,
            estimate.statistic,
            estimate.base,
            estimate.n,
            estimate.base_n,
            *figures,
            estimate.reliability,
            value_text(estimate),
            interval_text(estimate),
        ]


def estimates_csv(estimates, bom=True, public=False):
    return render_csv(iter_estimate_rows(estimates, public=public), bom=bom)


def estimates_xlsx(estimates, computation):
    """A small workbook (a few thousand cells at most): the estimates and their dictionary."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Estimations")
    sheet.freeze_panes = "A2"
    for row in iter_estimate_rows(estimates):
        sheet.append([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
    dictionary = workbook.create_sheet("Dictionnaire")
    dictionary.append(["colonne", "intitule", "type", "description"])
    for column in ESTIMATE_COLUMNS:
        dictionary.append([column.name, column.title, column.type, column.description or None])
    dictionary.append([])
    dictionary.append(["Calcul", str(computation)])
    dictionary.append(["Méthode de pondération", neutralise(computation.method)])
    dictionary.append(["Intervalles", neutralise(computation.interval_method)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def estimates_schema():
    return {
        "fields": [column.schema_field() for column in ESTIMATE_COLUMNS],
        # No primary key: the row and option codes are empty for some lines.
        "missingValues": [""],
    }


def open_data_estimates(edition):
    """(resource descriptor, CSV bytes iterator) of the published estimates, or None when the
    edition has no computation yet."""
    computation = Computation.objects.current(edition)
    if computation is None:
        return None
    resource = {
        "name": "estimations",
        "path": "estimations.csv",
        "type": "table",
        "title": f"Estimations pondérées publiées — {edition.title}",
        "description": (
            "Pour chaque question publiée, domaine, ligne de matrice et option : effectif, "
            "proportion (ou moyenne, médiane) pondérée, intervalle de confiance à 95 %, "
            "coefficient de variation, taille effective et fiabilité. Les cellules non "
            "publiables sont absentes, ainsi que celles masquées pour qu'aucune ne se déduise "
            f"des autres. Calcul du {computation.computed_at:%d/%m/%Y}."
        ),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ","},
        "schema": estimates_schema(),
    }
    return resource, estimates_csv(estimates_of(computation, public=True), bom=False, public=True)


# -- The weight columns of the responses' exports -------------------------------------------

STRATUM_CATEGORIES = [(stratum.value, stratum.label) for stratum in Stratum]


def weight_columns(options):
    """One group of columns, after every other: the response's stratum, weighting cell and
    weight in the current computation; empty when it has none."""
    return [
        Column(
            "ponderation_strate",
            "Strate de pondération (type × taille)",
            description="Vide si la réponse n'est pas pondérée : brouillon, autre structure, "
            "ou résultats pas encore calculés.",
            categories=STRATUM_CATEGORIES,
        ),
        Column(
            "ponderation_cellule",
            "Cellule de pondération",
            description="La strate, ou celle avec laquelle elle a été regroupée faute de "
            "répondant.",
            categories=STRATUM_CATEGORIES,
        ),
        Column(
            "poids",
            "Poids de la réponse",
            "number",
            "Poids calé du dernier calcul des résultats : la somme des poids vaut le nombre "
            "de collectivités de la base de sondage.",
            constraints={"minimum": 0},
        ),
    ]


class WeightCells:
    """The weight columns' cells, response by response, read once from the current
    computation of the edition."""

    width = 3

    def __init__(self, edition, options):
        self.edition = edition
        self.labels = dict(STRATUM_CATEGORIES) if options.labels else {}
        self._by_response = None

    def _load(self):
        computation = Computation.objects.current(self.edition)
        if computation is None:
            return {}
        weights = Weight.objects.filter(computation=computation).values_list(
            "response_id", "stratum", "weighting_cell", "value"
        )
        return {
            response_id: (self.labels.get(stratum, stratum), self.labels.get(cell, cell), value)
            for response_id, stratum, cell, value in weights.iterator(chunk_size=5000)
        }

    def __call__(self, response):
        if self._by_response is None:
            self._by_response = self._load()
        return list(self._by_response.get(response.pk, (None,) * self.width))

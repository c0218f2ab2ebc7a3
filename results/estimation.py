"""Estimates with their uncertainty, from the calibrated weights (issue 11, point 4).

Rules (docs/results.md says the same for staff and readers):

- **Denominator.** A question counts, in a domain, the weighted respondents *to whom it was
  asked* (display conditions: `Question.is_shown` on their answers) *and who answered it*; for
  a matrix, who answered that row; for a multiple choice, who ticked at least one option (so
  the options' shares may add up to more than 100 %). « Je ne sais pas » is an answer like the
  others: it stays in the denominator and gets its own share, for every question, so that the
  shares of a single choice add up to 100 % and nothing is hidden. `Estimate.base` says it.
- **Figures, intervals and the publication rule** are pure functions of arrays in
  `results.statistics` (Korn–Graubard intervals, effective sizes that never rest on a
  unanimous cell's zero variance, the NCHS 2017 rule); this module feeds them the answers.
- **Domains**: `toutes`, `3500-plus` (communes of 3,500 inhabitants or more and every other
  collectivité), `type:<kind>`, `strate:<code>`, `region:<code>`, and for cross-tabulations
  `question:<code>=<option>` (respondents who chose that option, or ticked it).

Everything here reads numpy arrays; the database only feeds `Sample` and takes the Estimates.
"""

import json
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from results.models import Estimate, FrameCell, Statistic, Stratum, Weight
from results.statistics import Design, UnknownDomain, mean, median, proportions
from survey import numbers
from survey.enums import CollectiviteKind, ResponseStatus
from survey.questionnaire.kinds.base import NUMBER, OPTIONS
from survey.typography import typeset

KIND_OF_STRATUM = {
    Stratum.COMMUNE_UNDER_3500: CollectiviteKind.COMMUNE,
    Stratum.COMMUNE_3500_10000: CollectiviteKind.COMMUNE,
    Stratum.COMMUNE_10000_100000: CollectiviteKind.COMMUNE,
    Stratum.COMMUNE_OVER_100000: CollectiviteKind.COMMUNE,
    Stratum.EPCI_CC: CollectiviteKind.EPCI,
    Stratum.EPCI_CA: CollectiviteKind.EPCI,
    Stratum.EPCI_CU: CollectiviteKind.EPCI,
    Stratum.EPCI_METROPOLE: CollectiviteKind.EPCI,
    Stratum.DEPARTEMENT: CollectiviteKind.DEPARTEMENT,
    Stratum.REGION: CollectiviteKind.REGION,
    Stratum.STATUT_PARTICULIER: CollectiviteKind.STATUT_PARTICULIER,
}
KIND_LABELS = {
    CollectiviteKind.COMMUNE: "Communes",
    CollectiviteKind.EPCI: "EPCI",
    CollectiviteKind.DEPARTEMENT: "Départements",
    CollectiviteKind.REGION: "Régions",
    CollectiviteKind.STATUT_PARTICULIER: "Collectivités à statut particulier",
}
ALL_DOMAIN = "toutes"
LARGE_DOMAIN = "3500-plus"
DOMAIN_LABELS = {
    ALL_DOMAIN: "Toutes collectivités",
    LARGE_DOMAIN: typeset("Collectivités de 3 500 habitants ou plus"),
}

INTERVAL_METHOD = (
    "IC à 95 % de Korn et Graubard, variance linéarisée stratifiée avec correction de "
    "population finie et pseudo-variance des cellules unanimes ; Woodruff pour la médiane"
)


# --- What a question measures ---------------------------------------------------------------


@dataclass
class Block:
    """A table of one question: one row of a matrix, or the question itself."""

    row_code: str
    option_codes: list
    base: np.ndarray  # who is in the denominator (asked and answered)
    indicators: np.ndarray | None = None  # n × k, for options
    numbers: np.ndarray | None = None  # n, for a number question


def has_dont_know(question):
    """Whether one of the question's options is « Je ne sais pas » (as its file declares)."""
    return any(choice.is_dont_know for choice in question.active_choices)


def base_text(question):
    """The denominator rule of a question, in French, as Estimate.base stores it."""
    kind = question.kind_class
    text = f"Collectivités à qui la question a été posée et {kind.denominator}"
    if kind.estimated_as == OPTIONS and has_dont_know(question):
        text += ", « Je ne sais pas » compris"
    return typeset(text + ".")


def option_codes(question):
    return list(question.kind_class.option_labels(question))


def answer_codes(question, value):
    """The option codes an answer stands for (a matrix answers per row: not here)."""
    return set() if value is None else question.kind_class.answer_codes(value)


def blocks(question, values):
    """The tables of a question given its answers (None where not asked or not answered)."""
    n = len(values)
    if question.kind_class.estimated_as == NUMBER:
        base = np.array([v is not None for v in values])
        numbers = np.array([float(v) if v is not None else 0.0 for v in values])
        return [Block("", [], base, numbers=numbers)]
    codes = option_codes(question)
    position = {code: j for j, code in enumerate(codes)}
    if question.kind_class.has_items:
        result = []
        for item in question.active_items:
            indicators = np.zeros((n, len(codes)))
            for i, value in enumerate(values):
                j = position.get(value.get(item.code)) if value else None
                if j is not None:
                    indicators[i, j] = 1
            result.append(Block(item.code, codes, indicators.any(1), indicators))
        return result
    indicators = np.zeros((n, len(codes)))
    for i, value in enumerate(values):
        for code in answer_codes(question, value):
            if code in position:
                indicators[i, position[code]] = 1
    return [Block("", codes, indicators.any(1), indicators)]


def figures_of(design, question, block, mask):
    """[(choice_code, statistic, Figure)] of a block within a domain's mask."""
    base = block.base & mask
    if question.kind_class.estimated_as == NUMBER:
        found = [(Statistic.MEAN, mean(design, base, block.numbers))]
        found.append((Statistic.MEDIAN, median(design, base, block.numbers)))
        return [("", statistic, figure) for statistic, figure in found if figure is not None]
    figures = proportions(design, base, block.indicators)
    return [
        (code, Statistic.PROPORTION, figure)
        for code, figure in zip(block.option_codes, figures, strict=False)
    ]


# --- The sample of a computation ------------------------------------------------------------


class Sample:
    """The weighted respondents of a computation, aligned arrays, and their domains."""

    def __init__(self, response_ids, weights, strata, cells, regions, cell_totals, **labels):
        self.response_ids = list(response_ids)
        self.position = {pk: i for i, pk in enumerate(self.response_ids)}
        self.strata = np.array(strata, dtype=object)
        self.regions = np.array(regions, dtype=object)
        cell_keys = sorted(cell_totals)
        self.design = Design(
            weights=np.asarray(weights, dtype=float),
            cell_index=np.array([cell_keys.index(c) for c in cells], dtype=int),
            cell_totals=np.array([cell_totals[c] for c in cell_keys], dtype=float),
        )
        self.stratum_labels = labels.get("stratum_labels") or {}
        self.region_names = labels.get("region_names") or {}

    def __len__(self):
        return len(self.response_ids)

    @classmethod
    def for_computation(cls, computation):
        """The sample as stored: the computation's Weights and its frame's strata."""
        rows = list(
            Weight.objects.filter(computation=computation)
            .order_by("response_id")
            .values_list("response_id", "value", "stratum", "weighting_cell", "region_code")
        )
        frame = computation.frame
        merged = {
            entry["strate"]: entry["regroupee_avec"]
            for entry in computation.collapsed_strata
            if "strate" in entry
        }
        cell_totals = {}
        for code, count in frame.strata.values_list("code", "collectivite_count"):
            if count:
                cell = merged.get(code, code)
                cell_totals[cell] = cell_totals.get(cell, 0) + count
        return cls(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            [r[4] for r in rows],
            cell_totals,
            **frame_labels(frame),
        )

    def domains(self):
        """[(code, label, mask)] of the standing domains that have respondents."""
        found = [(ALL_DOMAIN, DOMAIN_LABELS[ALL_DOMAIN], np.ones(len(self), dtype=bool))]
        found.append((LARGE_DOMAIN, DOMAIN_LABELS[LARGE_DOMAIN], self.mask(LARGE_DOMAIN)))
        for kind in CollectiviteKind:
            found.append((f"type:{kind}", KIND_LABELS[kind], self.mask(f"type:{kind}")))
        for stratum in Stratum:
            label = self.stratum_labels.get(stratum, stratum.label)
            found.append((f"strate:{stratum}", label, self.mask(f"strate:{stratum}")))
        for region in sorted(set(self.regions)):
            found.append((f"region:{region}", self.region_label(region), self.regions == region))
        return [(code, label, mask) for code, label, mask in found if mask.any()]

    def region_label(self, region):
        return typeset(f"Région : {self.region_names.get(region) or region or 'non renseignée'}")

    def mask(self, domain):
        """Who is in a standing domain; UnknownDomain for a code that names none."""
        if domain == ALL_DOMAIN:
            return np.ones(len(self), dtype=bool)
        if domain == LARGE_DOMAIN:
            return self.strata != Stratum.COMMUNE_UNDER_3500
        prefix, _, code = domain.partition(":")
        if prefix == "type" and code in CollectiviteKind.values:
            kinds = {s for s, kind in KIND_OF_STRATUM.items() if kind == code}
            return np.isin(self.strata, list(kinds))
        if prefix == "strate" and code in Stratum.values:
            return self.strata == code
        if prefix == "region" and (code in self.region_names or code in set(self.regions)):
            return self.regions == code
        raise UnknownDomain(f"Domaine inconnu : « {domain} ».")

    def label(self, domain):
        if domain in DOMAIN_LABELS:
            return DOMAIN_LABELS[domain]
        prefix, _, code = domain.partition(":")
        if prefix == "type":
            return KIND_LABELS[code]
        if prefix == "strate":
            return self.stratum_labels.get(code, Stratum(code).label)
        return self.region_label(code)


def frame_labels(frame):
    region_names = dict(
        FrameCell.objects.filter(stratum__frame=frame).values_list("region_code", "region_name")
    )
    return {
        "stratum_labels": dict(frame.strata.values_list("code", "label")),
        "region_names": region_names,
    }


# --- Answers, as arrays aligned on the sample -----------------------------------------------


def questions_of(edition, codes=None):
    """The edition's asked questions in order, with their choices and rows prefetched."""
    questions = [q for section in edition.questionnaire() for q in section.asked]
    if codes is not None:
        questions = [q for q in questions if q.code in codes]
    return questions


def chain_of(question):
    """The questions a question's display depends on, nearest first."""
    chain, parent = [], question.condition_question
    while parent is not None:
        chain.append(parent)
        parent = parent.condition_question
    return chain


def answer_columns(sample, edition, questions):
    """Yield (question, [value or None per respondent]) for each question that has answers.

    None where the respondent did not answer or was not asked: display conditions are
    evaluated on the respondent's own answers (`Question.is_shown`), so an answer left over
    from before a change of the condition's answer does not count. Only one question's parsed
    values are in memory at a time (all at once would be some 2 million parsed JSON values at
    national scale).
    """
    parents = {p.pk: p for q in questions for p in chain_of(q)}
    parent_values = dict(_columns(sample, edition, parents)) if parents else {}
    wanted = {q.pk: q for q in questions}
    missing = [None] * len(sample)
    for question_id, column in _columns(sample, edition, wanted):
        question = wanted[question_id]
        chain = [(p.code, parent_values.get(p.pk, missing)) for p in chain_of(question)]
        for i in range(len(column) if chain else 0):
            if column[i] is not None:
                answered = {code: values[i] for code, values in chain}
                if not question.is_shown(answered):
                    column[i] = None
        yield question, column


def _columns(sample, edition, questions_by_id):
    from survey.collection.models import Answer

    # One pass over the answers, kept as JSON text (a third of their parsed size) and parsed
    # one question at a time; the field's own converter would also cost twice the time.
    answers = (
        Answer.objects.filter(
            response__edition=edition,
            response__status=ResponseStatus.SUBMITTED,
            question_id__in=list(questions_by_id),
        )
        .annotate(text=Cast("value", TextField()))
        .values_list("question_id", "response_id", "text")
    )
    texts = {}
    # The ORM's row iterator costs more than the query at 1.6 million rows: its SQL is run on
    # the cursor the ORM would use to stream (server side on PostgreSQL), read in batches.
    sql, params = answers.query.sql_with_params()
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        position = sample.position
        while rows := cursor.fetchmany(50000):
            for question_id, response_id, text in rows:
                i = position.get(response_id)
                if i is not None:
                    texts.setdefault(question_id, []).append((i, text))
    for question_id in list(texts):
        column = [None] * len(sample)
        for i, text in texts.pop(question_id):
            column[i] = json.loads(text)
        yield question_id, column


# --- Estimates ------------------------------------------------------------------------------


def estimate(computation, question, block, domain, label, choice_code, statistic, figure):
    return Estimate(
        computation=computation,
        question=question,
        domain=domain,
        domain_label=label[:200],
        row_code=block.row_code,
        choice_code=choice_code,
        statistic=statistic,
        base=base_text(question),
        n=figure.n,
        base_n=figure.base_n,
        value=figure.value,
        ci_low=figure.ci_low,
        ci_high=figure.ci_high,
        cv=figure.cv,
        effective_n=figure.effective_n,
        reliability=figure.reliability,
    )


def estimated_questions(edition, codes=None):
    return [q for q in questions_of(edition, codes) if q.kind_class.estimated_as]


def all_estimates(computation, sample):
    """Unsaved Estimates of every estimated question in every standing domain."""
    edition = computation.edition
    domains = sample.domains()
    found = []
    for question, values in answer_columns(sample, edition, estimated_questions(edition)):
        for block in blocks(question, values):
            for domain, label, mask in domains:
                for choice_code, statistic, figure in figures_of(
                    sample.design, question, block, mask
                ):
                    found.append(
                        estimate(
                            computation,
                            question,
                            block,
                            domain,
                            label,
                            choice_code,
                            statistic,
                            figure,
                        )  # fmt: skip
                    )
    return found


def estimates_for(computation, question, domain_code):
    """Unsaved Estimates of one question in one domain, computed from the stored weights.

    `domain_code` is a standing domain (`toutes`, `3500-plus`, `type:…`, `strate:…`,
    `region:…`) or a cross-tabulation domain `question:<code>=<option code>`: respondents who
    chose that option of another question (for a multiple choice, who ticked it; for a yes/no,
    `oui` or `non`). Raises UnknownDomain (a French message) for a code that names nothing.
    """
    sample = getattr(computation, "_sample", None)
    if sample is None:
        sample = computation._sample = Sample.for_computation(computation)
    edition = computation.edition
    (target,) = estimated_questions(edition, {question.code}) or [None]
    if target is None:
        raise UnknownDomain(f"La question « {question.code} » n'a pas d'estimation.")
    if domain_code.startswith("question:"):
        mask, label = cross_domain(sample, edition, domain_code)
    else:
        mask, label = sample.mask(domain_code), sample.label(domain_code)
    values = next((v for _, v in answer_columns(sample, edition, [target])), [None] * len(sample))
    return [
        estimate(computation, target, block, domain_code, label, choice_code, statistic, figure)
        for block in blocks(target, values)
        for choice_code, statistic, figure in figures_of(sample.design, target, block, mask)
    ]


def cross_domain(sample, edition, domain_code):
    """(mask, label) of `question:<code>=<option>`: who gave that answer to that question."""
    code, _, option = domain_code.removeprefix("question:").partition("=")
    found = [q for q in questions_of(edition, {code}) if q.kind_class.estimated_as == OPTIONS]
    if not found or found[0].kind_class.has_items:
        raise UnknownDomain(f"Aucune question à choix « {code} » pour croiser les résultats.")
    (other,) = found
    labels = dict(other.kind_class.option_labels(other))
    if option not in option_codes(other):
        raise UnknownDomain(f"La question « {code} » n'a pas d'option « {option} ».")
    values = next((v for _, v in answer_columns(sample, edition, [other])), [None] * len(sample))
    mask = np.array([option in answer_codes(other, value) for value in values], dtype=bool)
    label = typeset(f"Ayant répondu « {labels.get(option, option)} » à « {code} »")
    return mask, label


# --- One run ----------------------------------------------------------------------------------


def run_computation(frame, *, collapse=True, now=None, complementary=True):
    """Weigh the frame's edition, estimate everything, store it all in one transaction.

    Complementary suppression (results/suppression.py) then withholds the published figures
    from which a suppressed one could be worked out; `complementary=False` skips it, for the
    tests that show what an attacker would otherwise recover.
    """
    from django.db import transaction
    from django.utils import timezone

    from results.models import Computation
    from results.suppression import withhold_complements
    from results.weighting import FACTOR_BOUNDS, weigh_edition

    started = time.perf_counter()
    weighted = weigh_edition(frame, collapse=collapse)
    calibration = weighted.calibration
    labels = frame_labels(frame)
    sample = Sample(
        weighted.response_ids,
        calibration.weights,
        weighted.strata,
        calibration.cells,
        weighted.regions,
        calibration.cell_totals,
        **labels,
    )
    with transaction.atomic():
        computation = Computation(
            edition=frame.edition,
            frame=frame,
            computed_at=now or timezone.now(),
            respondent_count=calibration.n,
            other_structure_count=weighted.other_structure_count,
            method=method_text(calibration, weighted, FACTOR_BOUNDS),
            collapsed_strata=calibration.collapsed,
            factor_min=calibration.factor_min,
            factor_max=calibration.factor_max,
            weight_min=float(calibration.weights.min()),
            weight_max=float(calibration.weights.max()),
            kish_efficiency=min(calibration.kish_efficiency, 1.0),
            effective_n=calibration.effective_n,
            interval_method=INTERVAL_METHOD,
        )
        computation.save()
        Weight.objects.bulk_create(
            (
                Weight(
                    computation=computation,
                    response_id=response_id,
                    stratum=stratum,
                    weighting_cell=cell,
                    region_code=region,
                    value=float(value),
                )
                for response_id, stratum, cell, region, value in zip(
                    weighted.response_ids,
                    weighted.strata,
                    calibration.cells,
                    weighted.regions,
                    calibration.weights,
                    strict=True,
                )
            ),
            batch_size=5000,
        )
        estimates = all_estimates(computation, sample)
        if complementary:
            withhold_complements(estimates)
        Estimate.objects.bulk_create(estimates, batch_size=5000)
        computation.duration_seconds = time.perf_counter() - started
        computation.save(update_fields=["duration_seconds"])
    return computation


def method_text(calibration, weighted, bounds):
    low, high = (numbers.plain(bound) for bound in bounds)
    text = (
        "Post-stratification sur les strates de la base de sondage (type de collectivité × "
        "tranche de population), puis calage itératif (raking) sur les effectifs des régions "
        f"et des strates, facteurs d'ajustement bornés entre {low} et {high}. "
        "Une strate sans répondant est regroupée avec la strate voisine la plus proche qui en a ; "
        "une région sans répondant sort du calage sur les régions et son effectif est réparti "
        "sur les autres au prorata. Les réponses d'autres structures ne sont pas pondérées."
    )
    if calibration.region_gap > 1e-6:
        gap = numbers.percent(calibration.region_gap, 2)
        text += (
            " Les bornes ont empêché d'atteindre exactement les effectifs des régions "
            f"(écart maximal : {gap})."
        )
    if weighted.outside_frame_count:
        text += (
            f" {weighted.outside_frame_count} réponse(s) de collectivités absentes de la base "
            "de sondage (ajoutées à la liste après son gel) ne sont pas pondérées."
        )
    return typeset(text)

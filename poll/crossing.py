"""The two sides side by side: citizens' weighted answers next to the collectivités' ones.

A crossing is declared in the poll's file: a question with `crosses = { survey = …, question =
… }` names the question of the collectivités' barometer of the same year that has the same rows
and answers (the loader checks it, whichever edition is loaded second). Both sides' figures come
from results.estimation: `blocks` and `figures_of` (weighted proportions with their logit 95 %
intervals) on the poll's weights, and `estimates_for` on the collectivités' latest computation,
by domain: all, région, size of commune.
"""

from dataclasses import dataclass, field

import numpy as np

from poll.journey import SURVEY
from poll.models import MarginDimension, Participation, WeightingRun
from poll.profile import PROFILE_QUESTIONS, profile_of
from poll.weighting import COMMUNE_SIZES, REGION_CODES
from results.estimation import blocks, estimates_for, figures_of
from results.models import Computation, Estimate, Publication, Reliability, Statistic, Stratum
from results.presentation import Line, bar_chart, line_labels
from results.statistics import Design, UnknownDomain
from survey.collection.models import Answer
from survey.questionnaire.models import DEFAULT_SURVEY, Choice, Edition, Question


@dataclass
class Crossing:
    """A poll question and the collectivités' question it declares it crosses (None: that
    question is not in the database)."""

    citizens: object
    collectivites: object | None

    @property
    def collectivites_code(self):
        return self.citizens.crosses_question

    @property
    def missing_text(self):
        return (
            f"La question « {self.citizens.code} » du sondage est déclarée croisée avec la "
            f"question « {self.collectivites_code} » de l’enquête "
            f"« {self.citizens.crosses_survey} » ({self.citizens.edition.year}), qui n’est pas "
            "dans la base : chargez son questionnaire."
        )

    @property
    def public_missing_text(self):
        return (
            f"« {self.citizens.text} » : la réponse des collectivités à cette question n’est "
            "pas encore disponible."
        )


def declared_crossings(year):
    """The poll's questions of `year` that declare a crossing, each with its counterpart."""
    poll = Edition.objects.for_year(year, SURVEY)
    if poll is None:
        return []
    found = []
    declared = (
        poll.questions.exclude(crosses_question="")
        .select_related("edition")
        .prefetch_related("choices", "items")
    )
    for question in declared:
        other = None
        if question.crosses_survey == DEFAULT_SURVEY:
            other = (
                Question.objects.filter(
                    edition__survey__code=DEFAULT_SURVEY,
                    edition__year=year,
                    code=question.crosses_question,
                )
                .prefetch_related("choices", "items")
                .first()
            )
        found.append(Crossing(question, other))
    return found


def is_public(year):
    """Whether the public crossed page of `year` is shown: both editions have closed and one
    of the crossed collectivités' questions is published."""
    poll = Edition.objects.for_year(year, SURVEY)
    barometer = Edition.objects.for_year(year)
    if poll is None or barometer is None or not (poll.has_closed() and barometer.has_closed()):
        return False
    codes = [crossing.collectivites_code for crossing in declared_crossings(year)]
    return Publication.objects.filter(edition=barometer, question__code__in=codes).exists()


COMMUNE_STRATA = {
    "moins_3500": Stratum.COMMUNE_UNDER_3500,
    "de_3500_a_10000": Stratum.COMMUNE_3500_10000,
    "de_10000_a_100000": Stratum.COMMUNE_10000_100000,
    "plus_100000": Stratum.COMMUNE_OVER_100000,
}
assert set(COMMUNE_STRATA) == set(COMMUNE_SIZES)

HEADER = [
    "question_citoyens", "question_collectivites", "domaine", "ligne", "reponse",
    "citoyens_part", "citoyens_ic_bas", "citoyens_ic_haut", "citoyens_base",
    "collectivites_part", "collectivites_ic_bas", "collectivites_ic_haut", "collectivites_base",
]  # fmt: skip


@dataclass
class Side:
    """One side's figure: a weighted share, its 95 % interval, its base, reliability and the
    option's count."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    base_n: int = 0
    reliability: str = Reliability.SUPPRESSED
    n: int = 0

    def line(self, label, tone, public):
        """The figure as a results line (its texts and its bar); on the public page a figure
        that is not publishable shows none."""
        estimate = Estimate(
            value=self.value or 0.0,
            ci_low=self.low,
            ci_high=self.high,
            base_n=self.base_n,
            n=self.n,
            statistic=Statistic.PROPORTION,
            reliability=self.reliability,
        )
        missing = self.value is None
        suppressed = missing or (public and self.reliability == Reliability.SUPPRESSED)
        return Line(label, estimate, suppressed=suppressed, tone=tone)


class CitizensSample:
    """The poll's counted, weighted completes, their design and their domains."""

    def __init__(self, edition):
        participations = list(
            Participation.objects.counted()
            .filter(edition=edition, weight__isnull=False)
            .order_by("response_id")
        )
        self.response_ids = [p.response_id for p in participations]
        profiles = [profile_of(p.response.values_by_code()) for p in participations]
        totals = dict(
            edition.margins.filter(dimension=MarginDimension.AGE_SEX).values_list(
                "category", "population"
            )
        )
        keys = sorted(totals)
        cells = [f"{profile['age']}:{profile['sex']}" for profile in profiles]
        self.design = Design(
            weights=np.array([p.weight for p in participations], dtype=float),
            cell_index=np.array([keys.index(cell) for cell in cells], dtype=int),
            cell_totals=np.array([totals[key] for key in keys], dtype=float),
        )
        self.regions = np.array([REGION_CODES.get(p["region"], "") for p in profiles])
        self.sizes = np.array([p["commune_size"] or "" for p in profiles])

    def mask(self, domain):
        scope, _, code = domain.partition(":")
        if scope == "toutes":
            return np.ones(len(self.response_ids), dtype=bool)
        if scope == "region":
            return self.regions == code
        return self.sizes == code

    def values(self, question):
        stored = dict(
            Answer.objects.filter(question=question, response_id__in=self.response_ids).values_list(
                "response_id", "value"
            )
        )
        return [stored.get(pk) for pk in self.response_ids]


def domains(year):
    """(poll domain, collectivités domain, label): all, each région, each commune size; the
    régions named as the poll's questionnaire of the year names them."""
    names = dict(
        Choice.objects.filter(
            question__edition__survey__code=SURVEY,
            question__edition__year=year,
            question__code=PROFILE_QUESTIONS["region"],
        ).values_list("code", "label")
    )
    found = [("toutes", "toutes", "Ensemble")]
    found += [(f"region:{code}", f"region:{code}", f"Région {names.get(answer, answer)}")
              for answer, code in REGION_CODES.items()]  # fmt: skip
    found += [(f"taille:{size}", f"strate:{stratum}", stratum.label)
              for size, stratum in COMMUNE_STRATA.items()]  # fmt: skip
    return found


def crossed_rows(year, crossings=None):
    """One dict per (crossing, domain, row, answer), both sides with their intervals.

    A declared crossing whose collectivités' question is missing gives no row (the pages name
    it); rows the poll's question leaves out of the crossing (an attention check) neither.
    """
    crossings = declared_crossings(year) if crossings is None else crossings
    crossings = [crossing for crossing in crossings if crossing.collectivites is not None]
    if not crossings:
        return []
    poll = crossings[0].citizens.edition
    barometer = crossings[0].collectivites.edition
    sample = CitizensSample(poll)
    computation = Computation.objects.current(barometer)
    year_domains = domains(poll.year)
    rows = []
    for crossing in crossings:
        citizens_question, collectivites_question = crossing.citizens, crossing.collectivites
        left_out = set(citizens_question.crosses_items_left_out)
        choice_labels, _, row_labels = line_labels(collectivites_question)
        order = {code: position for position, code in enumerate(choice_labels)}
        row_order = {code: position for position, code in enumerate(row_labels)}
        citizens_blocks = blocks(citizens_question, sample.values(citizens_question))
        for poll_domain, collectivites_domain, label in year_domains:
            mask = sample.mask(poll_domain)
            citizens = {
                (block.row_code, code): Side(
                    f.value, f.ci_low, f.ci_high, f.base_n, f.reliability, f.n
                )
                for block in citizens_blocks
                if block.row_code not in left_out
                for code, _, f in figures_of(sample.design, citizens_question, block, mask)
            }
            collectivites = {}
            if computation is not None:
                try:
                    estimates = estimates_for(
                        computation, collectivites_question, collectivites_domain
                    )
                except UnknownDomain:
                    estimates = []
                collectivites = {
                    (e.row_code, e.choice_code): Side(
                        e.value, e.ci_low, e.ci_high, e.base_n, e.reliability, e.n
                    )
                    for e in estimates
                }
            pairs = sorted(
                set(citizens) | set(collectivites),
                key=lambda pair: (row_order.get(pair[0], -1), order.get(pair[1], len(order))),
            )
            for row_code, choice_code in pairs:
                rows.append(
                    {
                        "crossing": crossing,
                        "citizens_question": citizens_question.code,
                        "collectivites_question": collectivites_question.code,
                        "domain": label,
                        "row": row_code,
                        "row_label": row_labels.get(row_code, row_code),
                        "choice": choice_code,
                        "choice_label": choice_labels.get(choice_code, choice_code),
                        "citizens": citizens.get((row_code, choice_code), Side()),
                        "collectivites": collectivites.get((row_code, choice_code), Side()),
                    }
                )
    return rows


@dataclass
class CrossedBlock:
    """One row of a crossed question (or the question itself): per answer, both sides."""

    title: str
    slug: str
    pairs: list = field(default_factory=list)  # (answer label, citizens line, theirs)

    def chart(self, width=600):
        return bar_chart([line for _, *lines in self.pairs for line in lines], width)


@dataclass
class CrossedQuestion:
    """What a page shows of one crossing in one domain: a block (bars and table) per row."""

    crossing: Crossing
    blocks: list = field(default_factory=list)


def crossed_blocks(rows, domain, public):
    """The rows of one domain as pages show them: per crossing, per row, each answer with
    the citizens' line then the collectivités' line."""
    questions = {}
    for row in rows:
        if row["domain"] != domain:
            continue
        crossing = row["crossing"]
        entry = questions.setdefault(crossing.citizens.pk, CrossedQuestion(crossing))
        slug = f"{crossing.citizens.code}-{row['row'] or 'options'}"
        if not entry.blocks or entry.blocks[-1].slug != slug:
            entry.blocks.append(CrossedBlock(row["row_label"] if row["row"] else "", slug))
        label = row["choice_label"]
        entry.blocks[-1].pairs.append(
            (
                label,
                row["citizens"].line(f"{label} — citoyens", "citoyens", public),
                row["collectivites"].line(f"{label} — collectivités", "collectivites", public),
            )
        )
    return list(questions.values())


def page_context(year, requested_domain, public):
    """What the staff and public crossed pages show: one domain's crossed questions, the
    domains to choose from, and the declared crossings whose counterpart is missing."""
    crossings = declared_crossings(year)
    rows = crossed_rows(year, crossings)
    labels = [label for _, _, label in domains(year)]
    domain = requested_domain if requested_domain in labels else labels[0]
    return {
        "year": year,
        "questions": crossed_blocks(rows, domain, public),
        "missing": [
            crossing.public_missing_text if public else crossing.missing_text
            for crossing in crossings
            if crossing.collectivites is None
        ],
        "domains": labels,
        "domain": domain,
        "has_rows": bool(rows),
        # The citizens' weights come from the poll's latest run: how many, when, on what.
        "weighting": WeightingRun.objects.filter(
            edition__survey__code=SURVEY, edition__year=year
        ).first(),
    }


def iter_table(year):
    """The crossed table for an export: a header, then one line per figure pair."""
    yield HEADER

    def cells(side):
        return [
            "" if side.value is None else round(side.value, 4),
            "" if side.low is None else round(side.low, 4),
            "" if side.high is None else round(side.high, 4),
            side.base_n,
        ]

    for row in crossed_rows(year):
        yield [
            row["citizens_question"],
            row["collectivites_question"],
            row["domain"],
            row["row"],
            row["choice"],
            *cells(row["citizens"]),
            *cells(row["collectivites"]),
        ]

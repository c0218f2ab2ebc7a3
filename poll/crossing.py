"""The two sides side by side: citizens' weighted answers next to the collectivités' ones.

A crossing is declared in the poll's file: a question with `crosses = { survey = …, question =
… }` names the question of the collectivités' barometer of the same year that has the same rows
and answers (the loader checks it, whichever edition is loaded second). Both sides' figures come
from results.estimation: `blocks` and `figures_of` (weighted proportions with their logit 95 %
intervals) on the poll's weights, and `estimates_for` on the collectivités' latest computation,
by domain: all, région, size of commune.

Computing them takes every domain's estimates: it is done once, by `store_crossing`
(`manage.py compute_crossing`, and after every accepted weighting run), and the public page
reads the stored figures (`CrossedFigure`). The staff page computes the chosen domain on
demand.
"""

from dataclasses import dataclass, field

import numpy as np
from django.db import transaction

from poll.journey import SURVEY
from poll.models import (
    MERGE_SEPARATOR,
    CrossedFigure,
    CrossingComputation,
    MarginDimension,
    Participation,
    WeightingRun,
)
from poll.profile import PROFILE_QUESTIONS, profiles_of
from poll.weighting import COMMUNE_SIZES, region_codes
from results.estimation import blocks, estimates_for, figures_of
from results.models import Computation, Estimate, Publication, Reliability, Statistic, Stratum
from results.presentation import Line, bar_chart, line_labels
from results.statistics import Design, UnknownDomain
from survey.collection.models import Answer
from survey.questionnaire.models import BAROMETER_SURVEY, Choice, Edition, Question


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
        if question.crosses_survey == BAROMETER_SURVEY:
            other = (
                Question.objects.filter(
                    edition__survey__code=BAROMETER_SURVEY,
                    edition__year=year,
                    code=question.crosses_question,
                )
                .prefetch_related("choices", "items")
                .first()
            )
        found.append(Crossing(question, other))
    return found


def stored_crossing(year):
    """The latest stored crossing of the poll of `year` (None before the first)."""
    return (
        CrossingComputation.objects.filter(edition__survey__code=SURVEY, edition__year=year)
        .select_related("weighting_run", "edition")
        .order_by("-computed_at", "-pk")
        .first()
    )


def is_public(year):
    """Whether the public crossed page of `year` is shown: both editions have closed, one
    of the crossed collectivités' questions is published and the crossing is stored."""
    poll = Edition.objects.for_year(year, SURVEY)
    barometer = Edition.objects.for_year(year, BAROMETER_SURVEY)
    if poll is None or barometer is None or not (poll.has_closed() and barometer.has_closed()):
        return False
    codes = poll.questions.exclude(crosses_question="").values_list("crosses_question", flat=True)
    published = Publication.objects.filter(edition=barometer, question__code__in=codes)
    return published.exists() and poll.crossing_computations.exists()


def public_results_context(edition):
    """What the public results of `edition`'s year show of the crossing (results/extensions.py):
    the link to its page, once public."""
    return {"crossing_public": is_public(edition.year)}


def staff_results_context(edition):
    """The poll's edition of the same year, which the staff results page links to."""
    return {"poll_edition": Edition.objects.for_year(edition.year, SURVEY)}


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
        suppressed = missing or (public and self.reliability in Reliability.hidden())
        return Line(label, estimate, suppressed=suppressed, tone=tone)


class CitizensSample:
    """The poll's counted, weighted completes, their design and their domains.

    The variance strata are the age × sex cells of the latest accepted weighting run (merged
    cells as it merged them): its weights are those of the completes.
    """

    def __init__(self, edition):
        run = WeightingRun.objects.accepted().filter(edition=edition).first()
        participations = list(
            Participation.objects.counted()
            .filter(edition=edition, weight__isnull=False)
            .order_by("response_id")
        )
        if run is None:
            participations = []
        self.response_ids = [p.response_id for p in participations]
        by_response = profiles_of(self.response_ids)
        profiles = [by_response[pk] for pk in self.response_ids]
        totals = {
            entry["categorie"]: entry["effectif"]
            for entry in (run.margins if run else [])
            if entry["critere"] == MarginDimension.AGE_SEX
        }
        keys = sorted(totals)
        key_of = {part: key for key in keys for part in key.split(MERGE_SEPARATOR)}
        cells = [key_of[f"{profile['age']}:{profile['sex']}"] for profile in profiles]
        self.design = Design(
            weights=np.array([p.weight for p in participations], dtype=float),
            cell_index=np.array([keys.index(cell) for cell in cells], dtype=int),
            cell_totals=np.array([totals[key] for key in keys], dtype=float),
        )
        codes = region_codes()
        self.regions = np.array([codes.get(p["region"], "") for p in profiles])
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
    codes = region_codes()
    found = [("toutes", "toutes", "Ensemble")]
    found += [(f"region:{codes[answer]}", f"region:{codes[answer]}", f"Région {label}")
              for answer, label in (names or {code: code for code in codes}).items()
              if answer in codes]  # fmt: skip
    found += [(f"taille:{size}", f"strate:{stratum}", stratum.label)
              for size, stratum in COMMUNE_STRATA.items()]  # fmt: skip
    return found


def crossed_rows(year, crossings=None, only_domain=None):
    """One dict per (crossing, domain, row, answer), both sides with their intervals.

    A declared crossing whose collectivités' question is missing gives no row (the pages name
    it); rows the poll's question leaves out of the crossing (an attention check) neither.
    `only_domain` (a label) computes that domain alone.
    """
    crossings = declared_crossings(year) if crossings is None else crossings
    crossings = [crossing for crossing in crossings if crossing.collectivites is not None]
    if not crossings:
        return []
    poll = crossings[0].citizens.edition
    barometer = crossings[0].collectivites.edition
    sample = CitizensSample(poll)
    computation = Computation.objects.current(barometer)
    year_domains = [domain for domain in domains(poll.year) if only_domain in (None, domain[2])]
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
                # The stored figures of these standing domains went through complementary
                # suppression: what it withheld there stays withheld here.
                withheld = set(
                    Estimate.objects.filter(
                        computation=computation,
                        question=collectivites_question,
                        domain=collectivites_domain,
                        reliability=Reliability.WITHHELD,
                    ).values_list("row_code", "choice_code")
                )
                collectivites = {
                    (e.row_code, e.choice_code): Side(
                        e.value,
                        e.ci_low,
                        e.ci_high,
                        e.base_n,
                        Reliability.WITHHELD
                        if (e.row_code, e.choice_code) in withheld
                        else e.reliability,
                        e.n,
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

    def chart(self):
        return bar_chart([line for _, *lines in self.pairs for line in lines])


@dataclass
class CrossedQuestion:
    """What a page shows of one crossing in one domain: a block (bars and table) per row."""

    crossing: Crossing
    blocks: list = field(default_factory=list)


def crossed_blocks(rows, domain, public, hide_citizens=False):
    """The rows of one domain as pages show them: per crossing, per row, each answer with
    the citizens' line then the collectivités' line (`hide_citizens`: « — » on their side)."""
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
                (Side() if hide_citizens else row["citizens"]).line(
                    f"{label} — citoyens", "citoyens", public
                ),
                row["collectivites"].line(f"{label} — collectivités", "collectivites", public),
            )
        )
    return list(questions.values())


def page_context(year, requested_domain, public):
    """What the staff and public crossed pages show: one domain's crossed questions, the
    domains to choose from, and the declared crossings whose counterpart is missing.

    The public page reads the stored crossing (and hides the citizens' figures if their
    weights rest on test margins); the staff page computes the chosen domain."""
    crossings = declared_crossings(year)
    labels = [label for _, _, label in domains(year)]
    domain = requested_domain if requested_domain in labels else labels[0]
    context = {
        "year": year,
        "missing": [
            crossing.public_missing_text if public else crossing.missing_text
            for crossing in crossings
            if crossing.collectivites is None
        ],
        "domains": labels,
        "domain": domain,
    }
    if public:
        stored = stored_crossing(year)
        hidden = stored is None or stored.weighting_run is None or stored.on_test_margins
        rows = stored_rows(stored, domain) if stored else []
        return context | {
            "questions": crossed_blocks(rows, domain, public, hide_citizens=hidden),
            "has_rows": bool(rows),
            "citizens_hidden": hidden,
            "citizens_on_test_margins": stored is not None and stored.on_test_margins,
            "weighting": stored.weighting_run if stored and not hidden else None,
        }
    rows = crossed_rows(year, crossings, only_domain=domain)
    weighting = (
        WeightingRun.objects.accepted()
        .filter(edition__survey__code=SURVEY, edition__year=year)
        .first()
    )
    stored = stored_crossing(year)
    barometer = Edition.objects.for_year(year, BAROMETER_SURVEY)
    results = Computation.objects.current(barometer) if barometer else None
    return context | {
        "questions": crossed_blocks(rows, domain, public),
        "has_rows": bool(rows),
        # The citizens' weights come from the poll's latest accepted run: how many, when, on
        # what.
        "weighting": weighting,
        "stored": stored,
        # What the public page shows rests on other weights or other results than these.
        "stored_is_stale": stored is not None
        and (
            stored.weighting_run_id != (weighting.pk if weighting else None)
            or stored.results_computation_id != (results.pk if results else None)
        ),
    }


def store_crossing(year):
    """Compute every domain's crossed figures and store them for the public page (the
    previous stored crossings of the edition go); returns the CrossingComputation, or None
    when the year has no poll edition."""
    poll = Edition.objects.for_year(year, SURVEY)
    if poll is None:
        return None
    crossings = declared_crossings(year)
    barometer = next((c.collectivites.edition for c in crossings if c.collectivites), None)
    rows = crossed_rows(year, crossings)
    with transaction.atomic():
        CrossingComputation.objects.filter(edition=poll).delete()
        computation = CrossingComputation.objects.create(
            edition=poll,
            weighting_run=WeightingRun.objects.accepted().filter(edition=poll).first(),
            results_computation=(
                Computation.objects.current(barometer) if barometer is not None else None
            ),
        )
        CrossedFigure.objects.bulk_create(
            CrossedFigure(
                computation=computation,
                position=position,
                citizens_question=row["crossing"].citizens,
                collectivites_question=row["crossing"].collectivites,
                domain=row["domain"],
                row=row["row"] or "",
                row_label=row["row_label"] or "",
                choice=row["choice"],
                choice_label=row["choice_label"],
                **{
                    f"{side}_{name}": getattr(row[side], attribute)
                    for side in ("citizens", "collectivites")
                    for name, attribute in (
                        ("value", "value"),
                        ("low", "low"),
                        ("high", "high"),
                        ("base", "base_n"),
                        ("count", "n"),
                        ("reliability", "reliability"),
                    )
                },  # fmt: skip
            )
            for position, row in enumerate(rows)
        )
    return computation


def stored_rows(computation, domain):
    """The stored figures of one domain, as crossed_rows gives them."""
    figures = computation.figures.filter(domain=domain).select_related(
        "citizens_question", "collectivites_question"
    )
    crossings = {}
    rows = []
    for figure in figures:
        key = (figure.citizens_question_id, figure.collectivites_question_id)
        crossing = crossings.setdefault(
            key, Crossing(figure.citizens_question, figure.collectivites_question)
        )
        rows.append(
            {
                "crossing": crossing,
                "citizens_question": figure.citizens_question.code,
                "collectivites_question": figure.collectivites_question.code,
                "domain": figure.domain,
                "row": figure.row,
                "row_label": figure.row_label,
                "choice": figure.choice,
                "choice_label": figure.choice_label,
                **{
                    side: Side(
                        getattr(figure, f"{side}_value"),
                        getattr(figure, f"{side}_low"),
                        getattr(figure, f"{side}_high"),
                        getattr(figure, f"{side}_base"),
                        getattr(figure, f"{side}_reliability"),
                        getattr(figure, f"{side}_count"),
                    )
                    for side in ("citizens", "collectivites")
                },
            }
        )
    return rows


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

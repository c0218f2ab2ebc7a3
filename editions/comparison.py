"""Year over year: each comparable question beside the question it continues, with the change.

Only questions whose lineage is comparable (`Question.is_comparable`: identical, reworded,
recoded) are compared; a question whose scope changed is never shown as a trend. Each year keeps
its own frame and weights: the current edition's figures are its stored estimates (results), the
earlier edition's either its own stored estimates or, for an edition known by its published
table, the post-stratified Figures of editions/estimates.py (results.estimation, the same
interval and publication rule), on the same domain and with the same denominator rule (« Je ne
sais pas » counted as an answer). Each side says which collectivités it covers
(`Side.domain_label`): the same domain code does not always cover the same strata in both years
(2023's EPCI are one published stratum).

The change d = p_current − p_earlier has the 95 % interval of MOVER (Newcombe's method for two
independent samples, `results.statistics.difference_interval`), built from each side's own
interval: L = d − √((p₂ − l₂)² + (u₁ − p₁)²), U = d + √((u₂ − p₂)² + (p₁ − l₁)²). A side whose
interval is asymmetric (Korn–Graubard near 0 or 1, a small stratum that weighs much) passes its
asymmetry on to the change; with symmetric intervals p ± 1.96·se it is d ± 1.96·√(se₁² + se₂²).
A collectivité that answered both years makes the samples slightly dependent; the interval then
errs on the wide side. A change whose interval contains 0 is marked as within noise. A change is
shown to the public only when both years' figures pass the publication rule.
"""

from dataclasses import dataclass

from editions.estimates import domain_strata, published_estimates
from editions.models import PublishedCount
from results.models import Computation, Estimate, Reliability, Statistic
from results.statistics import UnknownDomain, difference_interval
from survey.collection.models import Answer
from survey.enums import ResponseStatus


@dataclass
class Side:
    """One year's figure for an option, and the collectivités it covers."""

    year: int
    value: float
    ci_low: float
    ci_high: float
    n: int
    base_n: int
    reliability: str
    domain_label: str = ""


@dataclass
class Change:
    """An option of a comparable question in two editions, and how it moved."""

    row_code: str
    choice_code: str
    label: str
    earlier: Side
    current: Side

    @property
    def difference(self):
        return self.current.value - self.earlier.value

    @property
    def interval(self):
        """(low, high): MOVER from both sides' own 95 % intervals."""
        return difference_interval(self.earlier, self.current)

    @property
    def ci_low(self):
        return self.interval[0]

    @property
    def ci_high(self):
        return self.interval[1]

    @property
    def within_noise(self):
        """The interval of the change contains 0: no change can be asserted."""
        return self.ci_low <= 0 <= self.ci_high

    @property
    def is_published(self):
        """Both years' figures pass the publication rule (neither suppressed)."""
        suppressed = Reliability.SUPPRESSED
        return suppressed not in (self.earlier.reliability, self.current.reliability)


@dataclass
class QuestionTrend:
    question: object
    earlier: object
    changes: list

    @property
    def relation(self):
        return self.question.get_lineage_display()

    @property
    def published_changes(self):
        """The changes whose two figures pass the publication rule: what the public sees."""
        return [change for change in self.changes if change.is_published]

    @property
    def domains(self):
        """(earlier, current): the collectivités each year's figures cover."""
        first = self.changes[0]
        return first.earlier.domain_label, first.current.domain_label


def comparable_questions(edition):
    """The edition's questions that continue a comparable question of an earlier edition."""
    return [
        question
        for question in edition.questions.filter(is_active=True, continues__isnull=False)
        .select_related("continues__edition")
        .order_by("section__position", "position")
        if question.is_comparable
    ]


def year_over_year(computation, domain):
    """Every comparable question of the computation's edition with figures in both years."""
    trends = []
    for question in comparable_questions(computation.edition):
        earlier = earlier_sides(question, domain)
        if not earlier:
            continue
        current = current_sides(computation, question, domain)
        labels = question.kind_class.option_labels(question)
        changes = [
            Change(row, code, labels.get(code, code), earlier[row, code], side)
            for (row, code), side in current.items()
            if (row, code) in earlier
        ]
        if changes:
            trends.append(QuestionTrend(question, question.continues, changes))
    return trends


def current_sides(computation, question, domain):
    return {
        (estimate.row_code, estimate.choice_code): side_of(computation.edition.year, estimate)
        for estimate in Estimate.objects.filter(
            computation=computation,
            question=question,
            domain=domain,
            statistic=Statistic.PROPORTION,
        )
    }


def earlier_sides(question, domain):
    """{(row, code in the current edition's codes): Side} of the predecessor, or {}."""
    earlier = question.continues
    year = earlier.edition.year
    if PublishedCount.objects.filter(question=earlier).exists():
        try:
            label, _strata = domain_strata(domain)
            estimates = published_estimates(earlier, domain, recoding=question.recoding)
        except UnknownDomain:
            return {}
        label = f"{label} (strates du tableau publié en {year})"
        return {
            ("", e.choice_code): Side(
                year, e.value, e.ci_low, e.ci_high, e.n, e.base_n, e.reliability, label
            )
            for e in estimates
        }
    computation = Computation.objects.current(earlier.edition)
    if computation is None or len(set(question.recoding.values())) < len(question.recoding):
        # Options merged by the recoding would need the earlier answers re-estimated.
        return {}
    return {
        (estimate.row_code, question.current_code(estimate.choice_code)): side_of(year, estimate)
        for estimate in Estimate.objects.filter(
            computation=computation,
            question=earlier,
            domain=domain,
            statistic=Statistic.PROPORTION,
        )
    }


def side_of(year, estimate):
    return Side(
        year,
        estimate.value,
        estimate.ci_low,
        estimate.ci_high,
        estimate.n,
        estimate.base_n,
        estimate.reliability,
        estimate.domain_label,
    )


# -- The panel: the same collectivités in both editions ----------------------------------------

PANEL_NOTE = (
    "Collectivités ayant envoyé une réponse aux deux éditions (appariées par SIREN), sans "
    "pondération : ce panel n'est pas représentatif."
)


@dataclass
class PanelShare:
    choice_code: str
    label: str
    earlier: int
    current: int


@dataclass
class Panel:
    question: object
    size: int
    shares: list
    note: str = PANEL_NOTE


def panel(question):
    """Unweighted shares, each year, among collectivités that answered `question` in its
    edition and the question it continues in the earlier one (sent responses only). None when
    the earlier edition has no collected answers (an edition known by its published table)."""
    earlier = question.continues
    if earlier is None or not question.is_comparable or question.kind_class.has_items:
        return None

    def answers(of):
        return {
            siren: of.kind_class.answer_codes(value)
            for siren, value in Answer.objects.filter(
                question=of,
                response__status=ResponseStatus.SUBMITTED,
                response__collectivite__siren__isnull=False,
            ).values_list("response__collectivite__siren", "value")
            if value is not None
        }

    before, now = answers(earlier), answers(question)
    if not before:
        return None
    both = before.keys() & now.keys()
    labels = question.kind_class.option_labels(question)
    shares = [
        PanelShare(
            code,
            label,
            sum(code in {question.current_code(c) for c in before[siren]} for siren in both),
            sum(code in now[siren] for siren in both),
        )
        for code, label in labels.items()
    ]
    return Panel(question, len(both), shares)

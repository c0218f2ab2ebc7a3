"""An edition known by its published table, as its public pages show it.

Its figures are re-estimated on every request from the imported counts (a few strata and
questions: milliseconds) by `editions.estimates`, and shown with results' own lines, bars and
number formats (`results.presentation`), beside what the edition published then: its
« Total pondéré » (collectivités of 3,500 inhabitants or more, the 2023 rule), its raw totals.
"""

from dataclasses import dataclass, field

from editions.estimates import DOMAINS, LIST_STRATA, domain_strata, published_estimates
from editions.models import (
    NationalCount,
    PublishedCount,
    PublishedPercentage,
    PublishedStratum,
    PublishedTotal,
)
from results import presentation
from results.models import Estimate, Reliability, Statistic
from results.weighting import EmptyStratum
from survey import numbers
from survey.typography import typeset

PAST_DOMAINS = [(code, label) for code, (label, _strata) in DOMAINS.items()]
# The domains where the 2023 « Total pondéré » stands beside the re-estimates: the one it
# covered, and every collectivité (which it was often read as).
WEIGHTED_TOTAL_DOMAINS = {"toutes", "3500-plus"}
WEIGHTED_TOTAL_LABEL = typeset(
    "Total pondéré publié en {year} (collectivités de 3 500 habitants ou plus, règle de {year})"
)
BASE_TEXT = typeset(
    "Collectivités de la strate qui ont répondu à la question (« Sans réponse » exclu, "
    "« Je ne sais pas » compris), d’après le tableau publié."
)


def is_known_by_published_table(edition):
    """Whether the edition's figures come from its imported published table."""
    return edition is not None and PublishedCount.objects.filter(question__edition=edition).exists()


def suppression_reason(estimate):
    """Why the publication rule suppressed a figure, in French: its first unmet condition."""
    return presentation.reason_text(estimate)


@dataclass
class PastLine(presentation.Line):
    """A re-estimated option, with the edition's weighted total as published then."""

    published_total: object = None  # Decimal, or None when not shown

    @property
    def reason(self):
        return suppression_reason(self.estimate) if self.suppressed else ""


@dataclass
class PastBlock(presentation.Block):
    question: object = None
    published_no_answer: object = None  # « Sans réponse » in the weighted total
    error: str = ""

    @property
    def base_n(self):
        return self.lines[0].estimate.base_n if self.lines else 0


@dataclass
class PastPage:
    edition: object
    domain: str
    domain_label: str
    sections: list = field(default_factory=list)
    shows_weighted_total: bool = False

    @property
    def weighted_total_label(self):
        return WEIGHTED_TOTAL_LABEL.format(year=self.edition.year)


def questions_of(edition):
    """The edition's questions that its published table covers, in questionnaire order."""
    return list(
        edition.questions.filter(published_counts__isnull=False)
        .distinct()
        .select_related("section")
        .prefetch_related("choices", "items")
        .order_by("section__position", "position")
    )


def past_block(question, domain, domain_label, weighted_totals):
    """The question's re-estimated options in `domain`, as results' lines; an EmptyStratum
    (a stratum of the domain nobody answered) becomes a French sentence."""
    block = PastBlock("", f"{question.code}-options", question=question)
    try:
        estimates = published_estimates(question, domain)
    except EmptyStratum as error:
        block.error = str(error)
        return block
    labels = question.kind_class.option_labels(question)
    for found in estimates:
        estimate = Estimate(
            question=question,
            domain=domain,
            domain_label=domain_label,
            choice_code=found.choice_code,
            statistic=Statistic.PROPORTION,
            base=BASE_TEXT,
            n=found.n,
            base_n=found.base_n,
            value=found.value,
            ci_low=found.ci_low,
            ci_high=found.ci_high,
            cv=found.figure.cv,
            effective_n=found.effective_n,
            reliability=found.reliability,
        )
        block.lines.append(
            PastLine(
                labels.get(found.choice_code, found.choice_code),
                estimate,
                suppressed=found.reliability == Reliability.SUPPRESSED,
                published_total=weighted_totals.get(found.choice_code),
            )
        )
    block.published_no_answer = weighted_totals.get("")
    return block


def past_page(edition, domain):
    """Every question of the published table, re-estimated in `domain`, by section."""
    label, _strata = domain_strata(domain)
    page = PastPage(edition, domain, label, shows_weighted_total=domain in WEIGHTED_TOTAL_DOMAINS)
    for question in questions_of(edition):
        weighted = {}
        if page.shows_weighted_total:
            weighted = dict(
                PublishedPercentage.objects.filter(
                    question=question, total=PublishedTotal.WEIGHTED
                ).values_list("choice_code", "percentage")
            )
        block = past_block(question, domain, label, weighted)
        entry = {"question": question, "blocks": [block]}
        if page.sections and page.sections[-1]["section"] == question.section:
            page.sections[-1]["questions"].append(entry)
        else:
            page.sections.append({"section": question.section, "questions": [entry]})
    return page


# -- The methodology ---------------------------------------------------------------------------


@dataclass
class StratumRow:
    stratum: object
    national: int | None
    respondents: int
    weight_then: float  # its share of the weighted total as published then
    weight_now: float | None  # its share of « toutes » in the re-estimates (None: outside)

    @property
    def weight_then_text(self):
        return numbers.percent(self.weight_then)

    @property
    def weight_now_text(self):
        return numbers.percent(self.weight_now)


def strata_rows(edition):
    """Per published stratum: N_h, respondents, and its weight then and now."""
    national = dict(
        NationalCount.objects.filter(edition=edition).values_list("stratum", "collectivite_count")
    )
    respondents = {}
    for stratum, count in PublishedCount.objects.filter(question__edition=edition).values_list(
        "stratum", "respondents"
    ):
        respondents[stratum] = max(respondents.get(stratum, 0), count)
    large = [s for s in LIST_STRATA if s != PublishedStratum.COMMUNE_UNDER_3500]
    total_then = sum(national.get(s, 0) for s in large)
    total_now = sum(national.get(s, 0) for s in LIST_STRATA)
    rows = []
    for stratum in PublishedStratum:
        n_h = national.get(stratum)
        rows.append(
            StratumRow(
                stratum,
                n_h,
                respondents.get(stratum, 0),
                (n_h or 0) / total_then if stratum in large and total_then else 0.0,
                n_h / total_now if n_h is not None and total_now else None,
            )
        )
    return rows


@dataclass
class PublishedTotals:
    """A question's total rows as published: per option, raw, without small communes, weighted."""

    question: object
    rows: list


def published_totals(edition):
    """[PublishedTotals] of the questions whose totals the table gave."""
    found = []
    for question in questions_of(edition):
        percentages = {
            (p.choice_code, p.total): p.percentage
            for p in PublishedPercentage.objects.filter(question=question)
        }
        if not percentages:
            continue
        labels = dict(question.kind_class.option_labels(question)) | {"": "Sans réponse"}
        rows = [
            (label, [percentages.get((code, total)) for total in PublishedTotal])
            for code, label in labels.items()
            if any((code, total) in percentages for total in PublishedTotal)
        ]
        found.append(PublishedTotals(question, rows))
    return found


def publication_counts(edition):
    """(published, with caution, suppressed): the re-estimated figures of every domain."""
    counts = {Reliability.PUBLISHED: 0, Reliability.CAUTION: 0, Reliability.SUPPRESSED: 0}
    for question in questions_of(edition):
        for domain in DOMAINS:
            try:
                estimates = published_estimates(question, domain)
            except EmptyStratum:
                continue
            for estimate in estimates:
                counts[estimate.reliability] += 1
    return counts

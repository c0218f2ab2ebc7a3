"""Estimates of an edition known by its published table: post-stratification on its strata.

The published table gives, per stratum h, how many respondents chose each option (y_h) among
those who answered (n_h). Each stratum's counts are expanded into n_h respondents with 0/1
indicators, each weighing N_h / n_h (N_h from the edition's national counts), and handed to
`results.estimation.proportions` with the strata as the design's cells: the value, the
variance (strata sampled independently and without replacement), the 95 % interval, the
effective n and the reliability are those of the collected editions, by the same code
(p = Σ W_h p_h with W_h = N_h / Σ N_h over the domain's strata). « Autres structures » are
outside the list: never in an estimate.

The 2023 report's own « Total pondéré » followed another rule (`weighted_total_as_in_2023`):
communes under 3,500 inhabitants and « Autre » weighed 0, and « Sans réponse » stayed in the
denominator; so it estimates the collectivités of 3,500 inhabitants or more.

Limits, stated on the pages that show these figures: the strata are those of the published
table (EPCI other than métropoles are one stratum), no calibration on régions is possible, and
the respondents' own answers are unknown (no cross-tabulation, no other domain).
"""

from dataclasses import dataclass

import numpy as np

from editions.models import NationalCount, PublishedCount, PublishedStratum
from results.statistics import Design, UnknownDomain, proportions
from results.weighting import EmptyStratum

LIST_STRATA = [s for s in PublishedStratum if s != PublishedStratum.OTHER]
LARGE_STRATA = [s for s in LIST_STRATA if s != PublishedStratum.COMMUNE_UNDER_3500]
DOMAINS = {
    "toutes": ("Toutes collectivités", LIST_STRATA),
    "3500-plus": ("Collectivités de 3 500 habitants ou plus", LARGE_STRATA),
    "type:commune": ("Communes", [s for s in LIST_STRATA if s.startswith("commune-")]),
    "type:epci": (
        "EPCI",
        [PublishedStratum.EPCI_EXCEPT_METROPOLE, PublishedStratum.EPCI_METROPOLE],
    ),
    "type:departement": ("Départements", [PublishedStratum.DEPARTEMENT]),
    "type:region": ("Régions", [PublishedStratum.REGION]),
}


@dataclass
class PastEstimate:
    """An option's post-stratified figure (results.estimation.Figure) in a domain."""

    choice_code: str
    figure: object

    @property
    def value(self):
        return self.figure.value

    @property
    def n(self):
        return self.figure.n

    @property
    def base_n(self):
        return self.figure.base_n

    @property
    def ci_low(self):
        return self.figure.ci_low

    @property
    def ci_high(self):
        return self.figure.ci_high

    @property
    def standard_error(self):
        return self.figure.se

    @property
    def effective_n(self):
        return self.figure.effective_n

    @property
    def reliability(self):
        return self.figure.reliability


def domain_strata(domain):
    """(label, strata) of a domain code; UnknownDomain for one the table cannot give."""
    if domain.startswith("strate:"):
        code = domain.removeprefix("strate:")
        if code in PublishedStratum.values and code != PublishedStratum.OTHER:
            stratum = PublishedStratum(code)
            return stratum.label, [stratum]
    if domain in DOMAINS:
        return DOMAINS[domain]
    raise UnknownDomain(f"Le tableau publié ne permet pas d'estimer le domaine « {domain} ».")


def national_counts(edition):
    """{stratum: N_h} as the edition's report used them."""
    return dict(
        NationalCount.objects.filter(edition=edition).values_list("stratum", "collectivite_count")
    )


def published_estimates(question, domain="toutes", excluded_codes=(), recoding=None):
    """Per option of `question`: the post-stratified proportion in `domain` and its interval.

    The denominator is the respondents who answered (« Sans réponse » left out), without those
    who chose one of `excluded_codes` (for example « Je ne sais pas »). With `recoding`
    ({code: later code}), options are first added up under the codes of a later edition.
    Raises UnknownDomain for a domain the table cannot give, EmptyStratum (results.weighting)
    for a stratum of the domain with nobody in the denominator.
    """
    _label, strata = domain_strata(domain)
    national = national_counts(question.edition)
    recoding = recoding or {}
    excluded = set(excluded_codes)
    later_codes = (recoding.get(code, code) for code in question.kind_class.option_labels(question))
    codes = [code for code in dict.fromkeys(later_codes) if code not in excluded]
    occurrences, answered = {}, {}
    for count in PublishedCount.objects.filter(question=question, stratum__in=LIST_STRATA):
        code = recoding.get(count.choice_code, count.choice_code)
        cell = occurrences.setdefault(count.stratum, {})
        cell[code] = cell.get(code, 0) + count.occurrences
        answered[count.stratum] = count.answered
    bases = {
        stratum: answered.get(stratum, 0)
        - sum(n for code, n in occurrences.get(stratum, {}).items() if code in excluded)
        for stratum in LIST_STRATA
    }
    for stratum in strata:
        if bases[stratum] <= 0:
            raise EmptyStratum(stratum, stratum.label, question=question)
    design, in_stratum, indicators = expanded_respondents(
        bases, occurrences, national, codes, question.kind_class.one_option_per_answer
    )
    base = np.isin(in_stratum, [LIST_STRATA.index(s) for s in strata])
    figures = proportions(design, base, indicators)
    return [PastEstimate(code, figure) for code, figure in zip(codes, figures, strict=True)]


def expanded_respondents(bases, occurrences, national, codes, one_option_per_answer):
    """The published counts as respondents: (Design, stratum index of each, indicators n × k).

    Stratum h gives bases[h] respondents, each weighing N_h / n_h, the strata being the
    design's cells. The first y_h of them chose an option (for a single choice, the options
    follow each other: each respondent chose one); only the counts per stratum matter to the
    figures, not which respondent chose what.
    """
    sizes = [bases[stratum] for stratum in LIST_STRATA]
    in_stratum = np.repeat(np.arange(len(LIST_STRATA)), sizes)
    indicators = np.zeros((len(in_stratum), len(codes)))
    start = 0
    for stratum, size in zip(LIST_STRATA, sizes, strict=True):
        offset = start
        for j, code in enumerate(codes):
            y = occurrences.get(stratum, {}).get(code, 0)
            indicators[offset : offset + y, j] = 1
            if one_option_per_answer:
                offset += y
        start += size
    totals = np.array([national[stratum] for stratum in LIST_STRATA], dtype=float)
    per_respondent = totals / np.maximum(sizes, 1)
    design = Design(weights=per_respondent[in_stratum], cell_index=in_stratum, cell_totals=totals)
    return design, in_stratum, indicators


def weighted_total_as_in_2023(question):
    """{choice code ('' for « Sans réponse »): share} by the 2023 report's « Total pondéré » rule.

    Strata of 3,500 inhabitants or more weighted by their national counts, each stratum's share
    over all its respondents (« Sans réponse » included); communes under 3,500 and « Autre »
    weigh 0. What the report published, rounded, as its weighted total.
    """
    national = national_counts(question.edition)
    total = sum(national[stratum] for stratum in LARGE_STRATA)
    shares = {}
    for count in PublishedCount.objects.filter(question=question, stratum__in=LARGE_STRATA):
        share = national[count.stratum] / total * count.occurrences / count.respondents
        shares[count.choice_code] = shares.get(count.choice_code, 0.0) + share
    return shares

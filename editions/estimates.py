"""Estimates of an edition known by its published table: post-stratification on its strata.

Within stratum h of a domain, p_h = y_h / n_h (y_h respondents who chose the option, n_h those
in the denominator); the estimate is p = Σ W_h p_h with W_h = N_h / Σ N_h over the domain's
strata (N_h from the edition's national counts). Its variance, strata sampled independently
and without replacement: V = Σ W_h² (1 − n_h/N_h) p_h (1 − p_h) / (n_h − 1). The 95 % interval is
taken on the logit scale; at p = 0 or 1, the exact (Clopper–Pearson) bound for the n in the
denominator. « Autres structures » are outside the list: never in an estimate.

Limits, stated on the pages that show these figures: the strata are those of the published
table (EPCI other than métropoles are one stratum), no calibration on régions is possible, and
the respondents' own answers are unknown (no cross-tabulation, no other domain).
"""

import math
from dataclasses import dataclass

from editions.models import NationalCount, PublishedCount, PublishedStratum

Z_95 = 1.959963984540054
DOMAINS = {
    "toutes": ("Toutes collectivités", [s for s in PublishedStratum if s != "autre"]),
    "3500-plus": (
        "Collectivités de 3 500 habitants ou plus",
        [s for s in PublishedStratum if s not in ("autre", "commune-lt3500")],
    ),
}


class EmptyStratum(Exception):
    """A stratum of the domain has nobody in the denominator: its weight cannot be spread."""

    def __init__(self, stratum, question):
        self.stratum = stratum
        super().__init__(
            f"La strate « {stratum.label} » n'a aucun répondant pour « {question.code} » : "
            "elle ne peut pas être pondérée."
        )


@dataclass
class PastEstimate:
    choice_code: str
    n: int
    base_n: int
    value: float
    standard_error: float
    ci_low: float
    ci_high: float


def domain_strata(domain):
    if domain.startswith("strate:"):
        stratum = PublishedStratum(domain.removeprefix("strate:"))
        return stratum.label, [stratum]
    return DOMAINS[domain]


def published_estimates(question, domain="toutes", excluded_codes=()):
    """Per option of `question`: the post-stratified proportion in `domain` and its interval.

    The denominator is the respondents who answered (« Sans réponse » left out), without those
    who chose one of `excluded_codes` (for example « Je ne sais pas »).
    """
    _label, strata = domain_strata(domain)
    national = dict(
        NationalCount.objects.filter(edition=question.edition).values_list(
            "stratum", "collectivite_count"
        )
    )
    cells = {}
    for count in PublishedCount.objects.filter(question=question, stratum__in=strata):
        cells.setdefault(count.stratum, {})[count.choice_code] = count
    excluded = set(excluded_codes)
    bases = {}
    for stratum in strata:
        counts = cells.get(stratum, {})
        answered = next(iter(counts.values())).answered if counts else 0
        bases[stratum] = answered - sum(counts[code].occurrences for code in excluded & set(counts))
        if bases[stratum] <= 0:
            raise EmptyStratum(PublishedStratum(stratum), question)
    total = sum(national[stratum] for stratum in strata)
    codes = [code for code in question.kind_class.option_labels(question) if code not in excluded]
    estimates = []
    for code in codes:
        value = variance = 0.0
        n = 0
        for stratum in strata:
            share = national[stratum] / total
            base = bases[stratum]
            count = cells[stratum].get(code)
            y = count.occurrences if count else 0
            p = y / base
            value += share * p
            if base > 1:
                variance += share**2 * (1 - base / national[stratum]) * p * (1 - p) / (base - 1)
            n += y
        base_n = sum(bases.values())
        low, high = interval(value, math.sqrt(max(variance, 0.0)), base_n)
        estimates.append(
            PastEstimate(code, n, base_n, value, math.sqrt(max(variance, 0.0)), low, high)
        )
    return estimates


def interval(p, standard_error, n):
    """95 % interval of a proportion: logit scale inside (0, 1), exact bound at its edges."""
    if p <= 0:
        return 0.0, 1 - (0.025 ** (1 / n))
    if p >= 1:
        return 0.025 ** (1 / n), 1.0
    if standard_error == 0:
        return p, p
    centre = math.log(p / (1 - p))
    spread = Z_95 * standard_error / (p * (1 - p))
    return _expit(centre - spread), _expit(centre + spread)


def _expit(x):
    return 1 / (1 + math.exp(-x))

"""Estimates of an edition known by its published table: post-stratification on its strata.

Within stratum h of a domain, p_h = y_h / n_h (y_h respondents who chose the option, n_h those
in the denominator); the estimate is p = Σ W_h p_h with W_h = N_h / Σ N_h over the domain's
strata (N_h from the edition's national counts). Its variance, strata sampled independently
and without replacement: V = Σ W_h² (1 − n_h/N_h) p_h (1 − p_h) / (n_h − 1). The 95 % interval is
taken on the logit scale; at p = 0 or 1, the exact (Clopper–Pearson) bound at the Kish effective
size of the respondents' weights N_h / n_h — the same rules as results/estimation.py.
« Autres structures » are outside the list: never in an estimate.

Limits, stated on the pages that show these figures: the strata are those of the published
table (EPCI other than métropoles are one stratum), no calibration on régions is possible, and
the respondents' own answers are unknown (no cross-tabulation, no other domain).
"""

import math
from dataclasses import dataclass

from editions.models import NationalCount, PublishedCount, PublishedStratum
from results.estimation import proportion_interval

DOMAINS = {
    "toutes": ("Toutes collectivités", [s for s in PublishedStratum if s != "autre"]),
    "3500-plus": (
        "Collectivités de 3 500 habitants ou plus",
        [s for s in PublishedStratum if s not in ("autre", "commune-lt3500")],
    ),
    "type:commune": ("Communes", [s for s in PublishedStratum if s.startswith("commune-")]),
    "type:epci": (
        "EPCI",
        [PublishedStratum.EPCI_EXCEPT_METROPOLE, PublishedStratum.EPCI_METROPOLE],
    ),
    "type:departement": ("Départements", [PublishedStratum.DEPARTEMENT]),
    "type:region": ("Régions", [PublishedStratum.REGION]),
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


class UnknownDomain(ValueError):
    """A domain the published table cannot give, in French."""


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


def published_estimates(question, domain="toutes", excluded_codes=(), recoding=None):
    """Per option of `question`: the post-stratified proportion in `domain` and its interval.

    The denominator is the respondents who answered (« Sans réponse » left out), without those
    who chose one of `excluded_codes` (for example « Je ne sais pas »). With `recoding`
    ({code: later code}), options are first added up under the codes of a later edition.
    """
    _label, strata = domain_strata(domain)
    national = dict(
        NationalCount.objects.filter(edition=question.edition).values_list(
            "stratum", "collectivite_count"
        )
    )
    recoding = recoding or {}
    cells = {}
    for count in PublishedCount.objects.filter(question=question, stratum__in=strata):
        code = recoding.get(count.choice_code, count.choice_code)
        cell = cells.setdefault(count.stratum, {})
        if code in cell:
            cell[code].occurrences += count.occurrences
        else:
            cell[code] = count
    excluded = set(excluded_codes)
    bases = {}
    for stratum in strata:
        counts = cells.get(stratum, {})
        answered = next(iter(counts.values())).answered if counts else 0
        bases[stratum] = answered - sum(counts[code].occurrences for code in excluded & set(counts))
        if bases[stratum] <= 0:
            raise EmptyStratum(PublishedStratum(stratum), question)
    total = sum(national[stratum] for stratum in strata)
    # Each respondent of stratum h stands for N_h / n_h collectivités.
    weights = [(national[s] / bases[s], bases[s]) for s in strata]
    kish_n = sum(w * n for w, n in weights) ** 2 / sum(w * w * n for w, n in weights)
    censused = all(bases[s] >= national[s] for s in strata)
    later_codes = (recoding.get(code, code) for code in question.kind_class.option_labels(question))
    codes = [code for code in dict.fromkeys(later_codes) if code not in excluded]
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
        se = math.sqrt(max(variance, 0.0))
        low, high = proportion_interval(value, se, kish_n, censused)
        estimates.append(PastEstimate(code, n, sum(bases.values()), value, se, low, high))
    return estimates

"""The two sides side by side: citizens' weighted answers next to the collectivités' ones.

A crossing pairs a question of the poll with a question of the collectivités' barometer of the
same year that has the same rows and answers (the files keep the codes for that). Both sides'
figures come from results.estimation: `blocks` and `figures_of` (weighted proportions with
their logit 95 % intervals) on the poll's weights, and `estimates_for` on the collectivités'
latest computation, by domain: all, région, size of commune.
"""

from dataclasses import dataclass

import numpy as np

from poll.models import MarginDimension, Participation
from poll.profile import profile_of
from poll.weighting import COMMUNE_SIZES, REGION_CODES
from results.estimation import Design, UnknownDomain, blocks, estimates_for, figures_of
from results.models import Computation, Stratum
from survey.collection.models import Answer
from survey.questionnaire.models import Edition

# (poll question, collectivités question): same rows, same answer codes.
CROSSINGS = [("risques", "diff_risques")]

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
    value: float | None = None
    low: float | None = None
    high: float | None = None
    base_n: int = 0


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


def domains():
    """(poll domain, collectivités domain, label): all, each région, each commune size."""
    found = [("toutes", "toutes", "Ensemble")]
    found += [(f"region:{code}", f"region:{code}", f"Région {name}")
              for name, code in REGION_CODES.items()]  # fmt: skip
    found += [(f"taille:{size}", f"strate:{stratum}", stratum.label)
              for size, stratum in COMMUNE_STRATA.items()]  # fmt: skip
    return found


def crossed_rows(year):
    """One dict per (crossing, domain, row, answer), both sides with their intervals."""
    poll = Edition.objects.for_year(year, "sondage-citoyens")
    barometer = Edition.objects.for_year(year)
    if poll is None or barometer is None:
        return []
    sample = CitizensSample(poll)
    computation = Computation.objects.current(barometer)
    rows = []
    for citizens_code, collectivites_code in CROSSINGS:
        citizens_question = poll.questions.filter(code=citizens_code).first()
        collectivites_question = barometer.questions.filter(code=collectivites_code).first()
        if citizens_question is None or collectivites_question is None:
            continue
        citizens_blocks = blocks(citizens_question, sample.values(citizens_question))
        for poll_domain, collectivites_domain, label in domains():
            mask = sample.mask(poll_domain)
            citizens = {
                (block.row_code, code): Side(f.value, f.ci_low, f.ci_high, f.base_n)
                for block in citizens_blocks
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
                    (e.row_code, e.choice_code): Side(e.value, e.ci_low, e.ci_high, e.base_n)
                    for e in estimates
                }
            for row_code, choice_code in sorted(set(citizens) | set(collectivites)):
                mine, theirs = (
                    citizens.get((row_code, choice_code), Side()),
                    collectivites.get((row_code, choice_code), Side()),
                )
                rows.append(
                    {
                        "citizens_question": citizens_code,
                        "collectivites_question": collectivites_code,
                        "domain": label,
                        "row": row_code,
                        "choice": choice_code,
                        "citizens": mine,
                        "collectivites": theirs,
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

"""Calibrated weights of an edition's sent responses (issue 11, point 3).

Method, in the order it runs (docs/results.md says the same for staff):

1. **Who is weighted.** Sent responses of collectivités of the edition's frame. Responses of an
   « autre structure » (no collectivité) are counted apart and never weighted; so are sent
   responses of a collectivité missing from the frame (added to the list after the freeze).
2. **Post-stratification** on the frame's strata (type × population band, `Stratum`): every
   respondent of weighting cell h starts at N_h / n_h, so that the cell weighs its N_h.
3. **Collapse rule for a stratum with no respondent.** A stratum with collectivités in the
   frame but no respondent cannot be represented by itself, and a weight of 0 would silently
   drop it. `EmptyStratum` names it; with the rule (the default), it is merged into the first
   neighbour of `COLLAPSE_NEIGHBOURS` that has respondents: the adjacent population band for
   communes (smaller first), the adjacent EPCI nature (CC ↔ CA ↔ CU ↔ métropole), départements
   with régions and collectivités à statut particulier. Neighbours are tried in order, the
   walk goes on through neighbours without respondents (breadth-first) to the nearest stratum
   that has some, whose code names the merged cell; every merge is recorded
   (`Computation.collapsed_strata`). If no stratum reached that way has respondents,
   `EmptyStratum` is raised: communes are never made to stand for EPCI, nor the reverse.
4. **Régions with no respondent** (overseas régions often have none): `EmptyRegion` names
   them; with the rule, such a région leaves the raking on régions and its N is shared among
   the other régions' targets in proportion to their N (recorded as well). Its collectivités
   still count in their strata, so the weights still sum to the frame's N; no estimate is
   produced for the région itself.
5. **Raking** (iterative proportional fitting) of the post-stratified weights to two margins,
   régions then weighting cells, until both match their targets (1e-10 relative); the
   respondents of a cell answered in full (n_h = N_h) keep a weight of 1 throughout. The
   adjustment factor (final weight ÷ post-stratified weight) is kept within `FACTOR_BOUNDS`
   after each pass (bounded raking). If the bounds stop the région margins from being reached,
   a last pass on the cells still makes every cell weigh its N_h exactly, and the largest
   remaining région gap is reported. The loop is `rake`, which rakes to any number of margins
   (the citizens' poll rakes three, poll/weighting.py); calibrate gives it two.
6. **Reported:** range of factors and of weights, Kish's efficiency (Σw)² / (n·Σw²) and the
   effective sample size (Σw)² / Σw².

The algebra is a few lines of numpy rather than `svy` (which pulls polars, pyarrow and a Rust
extension, over 100 MB, into `make run`) or `weightipy` (pandas): see docs/results.md.
"""

from dataclasses import dataclass, field

import numpy as np

from results.models import Stratum

# The bounds of a raking factor (final weight ÷ post-stratified weight).
FACTOR_BOUNDS = (0.3, 3.0)
TOLERANCE = 1e-10
MAX_PASSES = 1000

# Strata a stratum with no respondent is merged into, tried in this order.
COLLAPSE_NEIGHBOURS = {
    Stratum.COMMUNE_UNDER_3500: [Stratum.COMMUNE_3500_10000],
    Stratum.COMMUNE_3500_10000: [Stratum.COMMUNE_UNDER_3500, Stratum.COMMUNE_10000_100000],
    Stratum.COMMUNE_10000_100000: [Stratum.COMMUNE_3500_10000, Stratum.COMMUNE_OVER_100000],
    Stratum.COMMUNE_OVER_100000: [Stratum.COMMUNE_10000_100000],
    Stratum.EPCI_CC: [Stratum.EPCI_CA],
    Stratum.EPCI_CA: [Stratum.EPCI_CC, Stratum.EPCI_CU],
    Stratum.EPCI_CU: [Stratum.EPCI_CA, Stratum.EPCI_METROPOLE],
    Stratum.EPCI_METROPOLE: [Stratum.EPCI_CU],
    Stratum.DEPARTEMENT: [Stratum.REGION, Stratum.STATUT_PARTICULIER],
    Stratum.REGION: [Stratum.DEPARTEMENT, Stratum.STATUT_PARTICULIER],
    Stratum.STATUT_PARTICULIER: [Stratum.DEPARTEMENT, Stratum.REGION],
}

POOLED_REGIONS = "autres-regions"


class WeightingError(Exception):
    """Why weights cannot be computed, in French for staff."""


class EmptyStratum(WeightingError):
    """A stratum has no respondent (and the collapse rule could not resolve it); with a
    `question`, no respondent in that question's denominator (a past edition's published table,
    post-stratified question by question)."""

    def __init__(self, stratum, label, unresolved=False, question=None):
        self.stratum = stratum
        self.label = label
        if question is not None:
            message = (
                f"La strate « {label} » n'a aucun répondant pour « {question.code} » : elle ne "
                "peut pas être pondérée."
            )
        elif unresolved:
            message = (
                f"La strate « {label} » n'a aucun répondant, ni aucune des strates voisines "
                "avec lesquelles la règle de regroupement la fusionnerait : ses collectivités "
                "ne peuvent pas être représentées."
            )
        else:
            message = (
                f"La strate « {label} » n'a aucun répondant : elle ne peut pas être pondérée "
                "seule (appliquez la règle de regroupement des strates)."
            )
        super().__init__(message)


class EmptyRegion(WeightingError):
    """A région of the frame has no respondent and the pooling rule was not applied."""

    def __init__(self, region, name):
        self.region = region
        self.name = name
        super().__init__(
            f"La région « {name or region} » n'a aucun répondant : elle ne peut pas être "
            "calée seule (appliquez la règle de regroupement des régions)."
        )


@dataclass
class Calibration:
    """The weights of n respondents and the figures that describe them."""

    weights: np.ndarray
    cells: list  # the weighting cell (a Stratum code) of each respondent
    cell_totals: dict  # {cell: N}
    collapsed: list = field(default_factory=list)
    factor_min: float = 1.0
    factor_max: float = 1.0
    passes: int = 0
    region_gap: float = 0.0  # largest relative gap to a région target left by the bounds

    @property
    def n(self):
        return len(self.weights)

    @property
    def total(self):
        return float(self.weights.sum())

    @property
    def effective_n(self):
        return float(self.weights.sum() ** 2 / (self.weights**2).sum())

    @property
    def kish_efficiency(self):
        return self.effective_n / self.n


def stratum_label(code, labels):
    if code in labels:
        return labels[code]
    try:
        return Stratum(code).label
    except ValueError:
        return code


def collapse_strata(stratum_totals, respondent_counts, *, labels=None, collapse=True):
    """{stratum: weighting cell} for every stratum with collectivités, and the merges made.

    Raises EmptyStratum for a stratum without respondent, unless `collapse` applies the rule.
    """
    labels = labels or {}
    cell_of = {code: code for code, total in stratum_totals.items() if total > 0}
    counts = {code: respondent_counts.get(code, 0) for code in cell_of}
    collapsed = []
    for code in [s for s in Stratum if s in cell_of] + sorted(set(cell_of) - set(Stratum)):
        if counts[code] > 0:
            continue
        if not collapse:
            raise EmptyStratum(code, stratum_label(code, labels))
        target = nearest_with_respondents(code, cell_of, counts)
        if target is None:
            raise EmptyStratum(code, stratum_label(code, labels), unresolved=True)
        cell_of[code] = target
        collapsed.append(
            {
                "strate": str(code),
                "libelle": stratum_label(code, labels),
                "regroupee_avec": str(target),
                "libelle_regroupement": stratum_label(target, labels),
            }
        )
    return cell_of, collapsed


def nearest_with_respondents(code, cell_of, counts):
    """The first stratum with respondents met walking the neighbour lists breadth-first."""
    seen, queue = {code}, [code]
    while queue:
        current = queue.pop(0)
        for neighbour in COLLAPSE_NEIGHBOURS.get(current, []):
            if neighbour in seen or neighbour not in cell_of:
                continue
            if counts[neighbour] > 0:
                return neighbour
            seen.add(neighbour)
            queue.append(neighbour)
    return None


def calibrate(
    strata,
    regions,
    frame_cells,
    *,
    labels=None,
    region_names=None,
    bounds=FACTOR_BOUNDS,
    collapse=True,
):
    """Weights of respondents (their stratum and région codes) calibrated on the frame.

    `frame_cells` is {(stratum, région): N}, the frame's FrameCell counts. Returns a
    Calibration. Raises EmptyStratum / EmptyRegion as the module docstring says.
    """
    labels = labels or {}
    region_names = region_names or {}
    strata = list(strata)
    regions = list(regions)
    if not strata:
        raise WeightingError("Aucune réponse envoyée par une collectivité de la base de sondage.")
    stratum_totals, region_totals = {}, {}
    for (stratum, region), count in frame_cells.items():
        stratum_totals[stratum] = stratum_totals.get(stratum, 0) + count
        region_totals[region] = region_totals.get(region, 0) + count
    outside = sorted({s for s in strata if not stratum_totals.get(s)})
    if outside:
        raise WeightingError(f"Des répondants sont dans une strate hors base : {outside}.")

    stratum_counts = {}
    for stratum in strata:
        stratum_counts[stratum] = stratum_counts.get(stratum, 0) + 1
    cell_of, collapsed = collapse_strata(
        stratum_totals, stratum_counts, labels=labels, collapse=collapse
    )
    cells = [cell_of[s] for s in strata]
    cell_totals = {}
    for stratum, cell in cell_of.items():
        cell_totals[cell] = cell_totals.get(cell, 0) + stratum_totals[stratum]

    region_counts = {}
    for region in regions:
        region_counts[region] = region_counts.get(region, 0) + 1
    empty_regions = sorted(
        r for r, total in region_totals.items() if total and r not in region_counts
    )
    if empty_regions and not collapse:
        raise EmptyRegion(empty_regions[0], region_names.get(empty_regions[0], ""))
    grand_total = sum(stratum_totals.values())
    kept_total = sum(region_totals[r] for r in region_counts)
    region_targets = {r: region_totals[r] * grand_total / kept_total for r in region_counts}
    for region in empty_regions:
        collapsed.append(
            {
                "region": region,
                "libelle": region_names.get(region) or region,
                "regroupee_avec": POOLED_REGIONS,
                "libelle_regroupement": "Autres régions, au prorata de leur effectif",
            }
        )

    cell_keys = sorted(cell_totals)
    region_keys = sorted(region_targets)
    cell_index = np.array([cell_keys.index(c) for c in cells])
    region_index = np.array([region_keys.index(r) for r in regions])
    cell_target = np.array([cell_totals[c] for c in cell_keys], dtype=float)
    region_target = np.array([region_targets[r] for r in region_keys], dtype=float)
    cell_n = np.bincount(cell_index, minlength=len(cell_keys))
    base = cell_target[cell_index] / cell_n[cell_index]

    # A cell answered in full is its own population: its respondents keep a weight of 1.
    census = (cell_n == cell_target)[cell_index]
    raking = rake(
        base,
        [
            RakingMargin("cells", cell_index, cell_target),
            RakingMargin("regions", region_index, region_target),
        ],
        bounds=bounds,
        fixed=census,
    )
    return Calibration(
        weights=raking.weights,
        cells=cells,
        cell_totals=cell_totals,
        collapsed=collapsed,
        factor_min=raking.factor_min,
        factor_max=raking.factor_max,
        passes=raking.passes,
        region_gap=raking.gaps["regions"],
    )


@dataclass
class RakingMargin:
    """One margin to rake to: each respondent's category (an index) and each category's target."""

    name: str
    index: np.ndarray  # the category of each respondent, an index into `targets`
    targets: np.ndarray  # the population of each category


@dataclass
class Raking:
    """Raked weights, their factors (weight ÷ base weight) and how the raking ended."""

    weights: np.ndarray
    factors: np.ndarray
    passes: int
    gaps: dict  # {margin name: largest relative gap to one of its targets}

    @property
    def factor_min(self):
        return float(self.factors.min())

    @property
    def factor_max(self):
        return float(self.factors.max())


def rake(base, margins, *, bounds=FACTOR_BOUNDS, fixed=None, tolerance=TOLERANCE):
    """Bounded raking (iterative proportional fitting) of base weights to any number of margins.

    Each pass adjusts the margins after the first, in order, then the first one (the
    post-stratification margin), clipping the factors to `bounds` after each adjustment, until
    every margin is within `tolerance` (relative). Respondents marked in `fixed` keep a factor
    of 1. If the bounds stop the raking, a last pass makes the first margin exact anyway and
    the gaps left on the others are reported in `Raking.gaps`.
    """
    if not margins:
        raise ValueError("rake needs at least one margin.")
    base = np.asarray(base, dtype=float)
    n = len(base)
    fixed = np.zeros(n, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    first = margins[0]
    total = first.targets.sum()
    for margin in margins:
        if len(margin.index) != n:
            raise ValueError(f"Margin {margin.name}: one category per respondent expected.")
        empty = np.flatnonzero(np.bincount(margin.index, minlength=len(margin.targets)) == 0)
        if len(empty):
            raise WeightingError(
                f"Marge « {margin.name} » : des catégories n'ont aucun répondant ({list(empty)})."
            )
        if abs(margin.targets.sum() - total) > 1e-9 * total:
            raise WeightingError(
                f"Les marges « {first.name} » et « {margin.name} » n'ont pas le même total."
            )
    low, high = bounds
    factor = np.ones(n)
    passes = 0
    for passes in range(1, MAX_PASSES + 1):  # noqa: B007  (the count is reported)
        for margin in (*margins[1:], first):
            weights = base * factor
            sizes = len(margin.targets)
            held = np.bincount(margin.index, weights * fixed, minlength=sizes)
            free = np.bincount(margin.index, weights * ~fixed, minlength=sizes)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(free > 0, (margin.targets - held) / free, 1.0)
            factor = np.where(fixed, 1.0, np.clip(factor * ratio[margin.index], low, high))
        gaps = _gaps(base * factor, margins)
        if max(gaps.values()) < tolerance:
            break
    if gaps[first.name] >= tolerance:
        # Bounds stopped the raking: the first margin (and so the total) is matched exactly.
        sums = np.bincount(first.index, weights=base * factor, minlength=len(first.targets))
        factor *= (first.targets / sums)[first.index]
    weights = base * factor
    return Raking(weights=weights, factors=factor, passes=passes, gaps=_gaps(weights, margins))


def _gaps(weights, margins):
    return {
        margin.name: _gap(
            np.bincount(margin.index, weights=weights, minlength=len(margin.targets)),
            margin.targets,
        )
        for margin in margins
    }


def _gap(sums, targets):
    return float(np.max(np.abs(sums - targets) / targets))


@dataclass
class WeightedSample:
    """An edition's weighted respondents, in the order of `response_ids`."""

    response_ids: list
    strata: list
    regions: list
    calibration: Calibration
    other_structure_count: int = 0
    outside_frame_count: int = 0


def weigh_edition(frame, *, collapse=True):
    """Calibrate the weights of the sent responses of the frame's edition (see the docstring)."""
    from results.models import FrameCell, FrameMember
    from survey.collection.models import Response

    sent = Response.objects.submitted().filter(edition_id=frame.edition_id)
    members = {
        collectivite_id: (stratum, region)
        for collectivite_id, stratum, region in FrameMember.objects.filter(frame=frame).values_list(
            "collectivite_id", "stratum__code", "region_code"
        )
    }
    response_ids, strata, regions = [], [], []
    other, outside = 0, 0
    for response_id, collectivite_id in sent.order_by("pk").values_list("pk", "collectivite_id"):
        if collectivite_id is None:
            other += 1
            continue
        member = members.get(collectivite_id)
        if member is None:
            outside += 1
            continue
        stratum, region = member
        response_ids.append(response_id)
        strata.append(stratum)
        regions.append(region)
    cells = FrameCell.objects.filter(stratum__frame=frame).values_list(
        "stratum__code", "region_code", "region_name", "collectivite_count"
    )
    frame_cells, region_names = {}, {}
    for stratum, region, name, count in cells:
        frame_cells[stratum, region] = count
        region_names[region] = name
    labels = dict(frame.strata.values_list("code", "label"))
    calibration = calibrate(
        strata,
        regions,
        frame_cells,
        labels=labels,
        region_names=region_names,
        collapse=collapse,
    )
    return WeightedSample(response_ids, strata, regions, calibration, other, outside)

"""Our estimation and weighting against R's `survey` package, an outside reference.

`scripts/r_reference/reference.R` (dev-only, `make r-reference`) ran R's survey package on the
fixtures of `tests/data/r_reference/` and wrote `tests/data/r_reference.json`; these tests
compute the same figures with results.statistics and results.weighting (pure functions, no
database, no R) and compare. The fixtures: 97 respondents in six strata sampled without
replacement (one answered in full, one of 4 respondents unanimous on two answers, one of a
single respondent), four sets of weights (design weights, post-stratified on the régions,
raked on régions and `urbain`, calibrated as `calibrate` does), five domains, four yes/no
answers and a number.

Where the methods are the same the figures agree to 1e-10 (most to 1e-15): post-stratified,
raked and calibrated weights; proportions, means and their stratified Taylor variance with the
finite-population correction (R's « certainty » rule for a lonely unit) and without it; the
degrees of freedom of a domain (R's `degf`); the logit interval, with a t or a normal
quantile; Korn–Graubard without the cap (`svyciprop(method = "beta")`); the median (R's
`qrule = "math"`). Where they differ on purpose, a test says how:

- a published proportion's interval (`Figure.ci_low`, `ci_high`) is Korn–Graubard with our
  rules on top of R's: a unanimous cell adds a pseudo-variance, the effective size is capped
  at the respondents, and the finite-population correction narrows the with-replacement
  interval by √(V/V_wr) instead of entering the effective size as in R; where the cap or the
  pseudo-variance acts the interval is wider than R's, elsewhere it is R's up to that last
  difference (a few thousandths);
- R's svyquantile Woodruff intervals are centred on F̂(median), the share at or below the
  median, ours on 1/2 (Woodruff 1952);
- R's svyciprop(method = "logit") fits a quasi-binomial GLM to glm's convergence tolerance:
  its bounds agree with the closed form (svyciprop's "xlogit", ours) to about 1e-9 only;
- R's variance of a calibrated design (`postStratify`, `rake`) counts the calibration; ours,
  with the same weights, takes them as fixed.
"""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from results.statistics import (
    Design,
    degrees_of_freedom_factor,
    korn_graubard_interval,
    logit_interval,
    mean,
    median,
    proportions,
)
from results.weighting import RakingMargin, calibrate, rake

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "r_reference.json").read_text())
ESTIMATES = REFERENCE["estimates"]
INDICATORS = ["usage", "rare", "nsp", "ouvert"]
DOMAINS = ["all", "dom_nord", "dom_urbain", "dom_petites", "dom_moyennes"]
WEIGHT_SETS = ["design", "post_stratified", "raked", "calibrated"]
CASES = [(weights, domain) for weights in WEIGHT_SETS for domain in DOMAINS]
UNBOUNDED = (1e-12, 1e12)


def read(name):
    with (DATA / "r_reference" / name).open() as file:
        return list(csv.DictReader(file))


ROWS = read("sample.csv")
FRAME = read("frame.csv")
MARGINS = read("margins.csv")
STRATA = np.array([row["stratum"] for row in ROWS])
REGIONS = np.array([row["region"] for row in ROWS])
STRATUM_KEYS = sorted(set(STRATA))
STRATUM_TOTALS = {row["stratum"]: float(row["N_h"]) for row in ROWS}


def column(name, kind=float):
    return np.array([kind(row[name]) for row in ROWS])


def design(weights):
    return Design(
        np.asarray(weights, dtype=float),
        np.array([STRATUM_KEYS.index(s) for s in STRATA]),
        np.array([STRATUM_TOTALS[s] for s in STRATUM_KEYS]),
    )


def domain_mask(domain):
    return np.ones(len(ROWS), dtype=bool) if domain == "all" else column(domain, int) == 1


def r_weights(name):
    return np.array(REFERENCE["weights"][name], dtype=float)


def margin(name, categories, targets):
    keys = sorted(targets)
    return RakingMargin(
        name,
        np.array([keys.index(c) for c in categories]),
        np.array([targets[k] for k in keys], dtype=float),
    )


def region_targets():
    totals = {}
    for row in FRAME:
        totals[row["region"]] = totals.get(row["region"], 0) + int(row["N"])
    return totals


class Differences:
    """The largest absolute difference to R seen per kind of figure, printed at the end."""

    seen: dict = {}

    @classmethod
    def check(cls, kind, ours, theirs, tolerance, *, relative=False):
        ours, theirs = np.atleast_1d(ours).astype(float), np.atleast_1d(theirs).astype(float)
        difference = np.abs(ours - theirs)
        cls.seen[kind] = max(cls.seen.get(kind, 0.0), float(difference.max()))
        allowed = tolerance * np.abs(theirs) if relative else tolerance
        assert np.all(difference <= allowed), (kind, ours, theirs)


@pytest.fixture(scope="module", autouse=True)
def report_differences():
    yield
    print("\nLargest absolute difference to R's survey package, per figure:")
    for kind, difference in sorted(Differences.seen.items()):
        print(f"  {kind:<60} {difference:.2e}")


# --- The reference itself -------------------------------------------------------------------


def test_the_reference_records_the_r_and_survey_versions_that_computed_it():
    assert REFERENCE["r_version"].startswith("R version 4.")
    assert int(REFERENCE["survey_version"].split(".")[0]) >= 4
    assert REFERENCE["options"]["survey.lonely.psu"] == "certainty"
    assert REFERENCE["ids"] == [int(row["id"]) for row in ROWS]


def test_the_fixtures_hold_the_cases_they_are_there_for():
    counts = {s: int((s == STRATA).sum()) for s in STRATUM_KEYS}
    census = [s for s in STRATUM_KEYS if counts[s] == STRATUM_TOTALS[s]]
    assert census == ["epci-metropole"]
    assert counts["departement"] == 1  # a lonely respondent
    few = STRATA == "epci-cc"
    assert few.sum() == 4 and STRATUM_TOTALS["epci-cc"] == 800
    assert column("rare")[few].sum() == 0 and column("usage")[few].sum() == 0  # unanimous
    assert len(set(STRATUM_TOTALS.values())) == len(STRATUM_KEYS)  # unequal sizes


# --- Weights ----------------------------------------------------------------------------------


def test_post_stratification_on_the_regions_gives_r_poststratify_weights_to_1e_10():
    raking = rake(column("weight"), [margin("regions", REGIONS, region_targets())])
    Differences.check("weights, post-stratified", raking.weights, r_weights("post_stratified"),
                      1e-10, relative=True)  # fmt: skip


def test_raking_on_two_margins_gives_r_rake_weights_to_1e_10():
    urbain = {row["category"]: float(row["N"]) for row in MARGINS if row["margin"] == "urbain"}
    raking = rake(
        column("weight"),
        [
            margin("regions", REGIONS, region_targets()),
            margin("urbain", [row["urbain"] for row in ROWS], urbain),
        ],
        bounds=UNBOUNDED,
        tolerance=1e-14,
    )
    Differences.check("weights, raked", raking.weights, r_weights("raked"), 1e-10, relative=True)


def test_calibrate_gives_r_rake_weights_on_strata_and_regions_with_the_census_held_at_1():
    frame_cells = {(row["stratum"], row["region"]): int(row["N"]) for row in FRAME}
    calibration = calibrate(list(STRATA), list(REGIONS), frame_cells)
    # The bounds of the factors did not bind: R's raking is unbounded.
    assert calibration.factor_min > 0.3 and calibration.factor_max < 3
    assert calibration.cells == list(STRATA)
    # calibrate stops at 1e-10 relative on the margins (results.weighting.TOLERANCE).
    Differences.check("weights, calibrate", calibration.weights, r_weights("calibrated"),
                      1e-9, relative=True)  # fmt: skip


# --- Estimates, for every set of weights and every domain --------------------------------------


class Case:
    """One set of weights and one domain: our figures beside R's."""

    def __init__(self, weights, domain):
        self.reference = ESTIMATES[weights][domain]
        self.design = design(r_weights(weights))
        self.base = domain_mask(domain)
        self.rows = np.flatnonzero(self.base)
        self.domain = self.design.domain(self.rows)
        self.answers = np.stack([column(v) for v in INDICATORS], 1)
        self.figures = dict(
            zip(INDICATORS, proportions(self.design, self.base, self.answers), strict=True)
        )

    def influence(self, values, value):
        """z = w (y − estimate) / Σ w on the domain's rows: the linearised ratio."""
        w = self.domain.weights
        return (w * (values[self.rows] - value) / self.domain.total)[:, None]

    def variances(self, values, value):
        """(without replacement, with replacement): the plain stratified variances."""
        z = self.influence(values, value)
        return float(self.design.variance(self.rows, z)[0]), float(
            self.design.contributions(self.rows, z).sum()
        )

    def unanimous_cells(self, values):
        """Cells with a finite-population correction whose domain respondents all agree:
        where our pseudo-variance may add to R's variance."""
        found = []
        for h in range(len(self.design.cell_totals)):
            members = self.rows[self.design.cell_index[self.rows] == h]
            if len(members) and self.design.fpc[h] > 0 and len(set(values[members])) == 1:
                found.append(h)
        return found

    def pseudo_bound(self, values, unit_variance):
        """The most the pseudo-variances of the unanimous cells can add to the variance."""
        cells = self.design.cell_index[self.rows]
        w = self.domain.weights
        return (
            sum(
                self.design.fpc[h] * float((w[cells == h] ** 2).sum()) * unit_variance
                for h in self.unanimous_cells(values)
            )
            / self.domain.total**2
        )


@pytest.fixture(scope="module")
def all_cases():
    return [Case(weights, domain) for weights, domain in CASES]


def test_r_degrees_of_freedom_are_ours_respondents_less_the_cells_they_are_in(all_cases):
    for case in all_cases:
        assert case.domain.n == case.reference["respondents"]
        assert case.domain.degrees_of_freedom == case.reference["degf"]
        strata = set(STRATA[case.base])
        assert case.reference["degf"] == case.reference["respondents"] - len(strata)


def test_proportions_and_their_stratified_variances_equal_r_svymean(all_cases):
    for case in all_cases:
        for j, name in enumerate(INDICATORS):
            reference, figure = case.reference[name], case.figures[name]
            Differences.check("proportion", figure.value, reference["mean"], 1e-12)
            finite, drawn = case.variances(case.answers[:, j], figure.value)
            Differences.check("proportion: standard error (with fpc)", math.sqrt(finite),
                              reference["se"], 1e-10)  # fmt: skip
            Differences.check("proportion: standard error (without fpc)", math.sqrt(drawn),
                              math.sqrt(reference["variance_with_replacement"]), 1e-10)  # fmt: skip


def test_the_published_standard_error_is_r_unless_a_unanimous_cell_adds_its_pseudo_variance(
    all_cases,
):
    equal = added = 0
    for case in all_cases:
        for j, name in enumerate(INDICATORS):
            reference, figure = case.reference[name], case.figures[name]
            values = case.answers[:, j]
            if case.unanimous_cells(values):
                added += 1
                bound = case.pseudo_bound(values, figure.value * (1 - figure.value))
                assert reference["variance"] - 1e-15 <= figure.se**2
                assert figure.se**2 <= reference["variance"] + bound + 1e-15
            else:
                equal += 1
                Differences.check("proportion: published standard error, no unanimous cell",
                                  figure.se, reference["se"], 1e-10)  # fmt: skip
    assert equal and added  # both cases are in the fixtures


def test_the_mean_and_its_t_interval_equal_r_svymean_and_confint(all_cases):
    values = column("agents")
    compared = 0
    for case in all_cases:
        reference = case.reference["agents"]
        figure = mean(case.design, case.base, values)
        Differences.check("mean", figure.value, reference["mean"], 1e-12, relative=True)
        finite, drawn = case.variances(values, figure.value)
        Differences.check("mean: standard error (with fpc)", math.sqrt(finite),
                          reference["se"], 1e-10, relative=True)  # fmt: skip
        Differences.check("mean: standard error (without fpc)", math.sqrt(drawn),
                          math.sqrt(reference["variance_with_replacement"]), 1e-10,
                          relative=True)  # fmt: skip
        if not case.unanimous_cells(values):
            compared += 1
            Differences.check("mean: t interval (df = degf)", [figure.ci_low, figure.ci_high],
                              reference["t_interval"], 1e-9, relative=True)  # fmt: skip
        else:
            assert figure.se >= reference["se"] - 1e-12
    assert compared


def test_the_logit_interval_equals_svyciprop_xlogit_and_logit(all_cases):
    for case in all_cases:
        df = case.reference["degf"]
        for j, name in enumerate(INDICATORS):
            reference, p = case.reference[name], case.figures[name].value
            se = math.sqrt(case.variances(case.answers[:, j], p)[0])
            for suffix, degrees in (("", df), ("_normal", None)):
                interval = logit_interval(p, se, degrees)
                label = "df = degf" if degrees else "df = Inf"
                Differences.check(f"logit interval vs xlogit ({label})", interval,
                                  reference[f"xlogit{suffix}"], 1e-10)  # fmt: skip
                # R's "logit" fits a GLM, to glm's tolerance (1e-8 on the deviance).
                Differences.check(f"logit interval vs GLM logit ({label})", interval,
                                  reference[f"logit{suffix}"], 1e-8)  # fmt: skip


def test_korn_graubard_without_the_cap_is_svyciprop_beta(all_cases):
    for case in all_cases:
        n, df = case.domain.n, case.domain.degrees_of_freedom
        for j, name in enumerate(INDICATORS):
            reference, p = case.reference[name], case.figures[name].value
            finite, _ = case.variances(case.answers[:, j], p)
            low, high, effective = korn_graubard_interval(p, finite, n, df, cap=False)
            Differences.check("Korn-Graubard, cap=False, vs svyciprop beta", [low, high],
                              reference["beta"], 1e-10)  # fmt: skip
            Differences.check("Korn-Graubard effective n (df-corrected)",
                              effective * degrees_of_freedom_factor(n, df),
                              reference["beta_effective_n"], 1e-10, relative=True)  # fmt: skip


def test_the_published_interval_is_wider_than_r_beta_where_the_cap_or_pseudo_variance_acts(
    all_cases,
):
    """Documented difference. Where neither acts, the published interval is Korn–Graubard on
    R's with-replacement variance, narrowed by the square root of R's V / V_wr (the
    finite-population correction) rather than R's, which puts V in the effective size."""
    capped = pseudo = plain = 0
    for case in all_cases:
        n, df = case.domain.n, case.domain.degrees_of_freedom
        for j, name in enumerate(INDICATORS):
            reference, figure = case.reference[name], case.figures[name]
            p = figure.value
            beta_low, beta_high = reference["beta"]
            drawn = reference["variance_with_replacement"]
            has_pseudo = bool(case.unanimous_cells(case.answers[:, j]))
            has_cap = p * (1 - p) / drawn > n
            if has_pseudo or has_cap:
                capped += has_cap
                pseudo += has_pseudo
                assert figure.ci_high - figure.ci_low >= beta_high - beta_low
                continue
            plain += 1
            low, high, effective = korn_graubard_interval(
                p, drawn, n, df, fpc=reference["variance"] / drawn
            )
            Differences.check("published interval vs KG on R's variances (shrunk by fpc)",
                              [figure.ci_low, figure.ci_high], [low, high], 1e-10)  # fmt: skip
            Differences.check("published effective n vs R's p(1-p)/V_wr", figure.effective_n,
                              effective, 1e-9, relative=True)  # fmt: skip
            Differences.check("published interval vs svyciprop beta (fpc as a shrink)",
                              [figure.ci_low, figure.ci_high], reference["beta"], 5e-3)  # fmt: skip
    assert capped and pseudo and plain  # each case is in the fixtures


def test_our_effective_n_is_r_design_effect_with_replacement_turned_into_a_size(all_cases):
    """p(1 − p) / V_wr = (n − 1) / deff, R's deff = "replace" of the design without fpc
    (it compares with s²/n, s² = Σw(y − p)²/Σw · n/(n − 1)). Ours is then capped at n."""
    for case in all_cases:
        n = case.domain.n
        for j, name in enumerate(INDICATORS):
            reference, p = case.reference[name], case.figures[name].value
            _, drawn = case.variances(case.answers[:, j], p)
            Differences.check("effective n vs (n - 1) / R's deff (replace)",
                              p * (1 - p) / drawn, (n - 1) / reference["deff_with_replacement"],
                              1e-10, relative=True)  # fmt: skip


# --- The median -----------------------------------------------------------------------------


def first_reaching(values, weights, level):
    """The smallest answer whose cumulative weight share reaches `level` (qrule "math")."""
    order = np.argsort(values, kind="stable")
    shares = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(shares, level - 1e-12)])


def test_the_median_is_survey_qrule_math_and_the_share_below_it_is_r(all_cases):
    values = column("agents")
    for case in all_cases:
        reference = case.reference["agents"]
        figure = median(case.design, case.base, values)
        assert figure.value == reference["median"]
        below = (values <= figure.value).astype(float)
        (share,) = proportions(case.design, case.base, below[:, None])
        Differences.check("median: share at or below", share.value,
                          reference["share_at_or_below_median"], 1e-12)  # fmt: skip
        Differences.check("median: standard error of that share",
                          math.sqrt(case.variances(below, share.value)[0]),
                          reference["se_share_at_or_below_median"], 1e-10)  # fmt: skip


def test_our_woodruff_interval_holds_r_woodruff_centred_on_a_half_with_svyciprop_beta(
    all_cases,
):
    """Documented difference: R's own pieces (svyciprop beta of the share at or below the
    median, read back with qrule_math at 1/2 ∓ its half-widths) give an interval that ours
    contains: our share's interval has the cap and the pseudo-variance on top."""
    values = column("agents")
    same = 0
    for case in all_cases:
        reference = case.reference["agents"]
        figure = median(case.design, case.base, values)
        low, high = reference["woodruff_beta_at_half"]
        assert figure.ci_low <= low and high <= figure.ci_high
        same += [figure.ci_low, figure.ci_high] == [low, high]
    assert 0 < same < len(all_cases)


def test_r_svyquantile_centres_woodruff_on_the_share_at_or_below_the_median_not_on_a_half(
    all_cases,
):
    """Documented difference: R's interval (svyquantile, interval.type "mean" and "beta") is
    read at levels around F̂(median) ≥ 1/2, ours around 1/2."""
    z = 1.959963984540054
    for case in all_cases:
        reference = case.reference["agents"]
        values, w = column("agents")[case.base], case.domain.weights
        share, se = reference["share_at_or_below_median"], reference["se_share_at_or_below_median"]
        assert share >= 0.5
        # A level above 1 has no quantile: R says NaN (null here).
        expected = [first_reaching(values, w, share - z * se)]
        expected.append(first_reaching(values, w, share + z * se) if share + z * se <= 1 else None)
        assert reference["svyquantile"]["mean_normal"] == expected
        low, high = reference["beta_share_at_or_below_median"]
        expected = [first_reaching(values, w, low), first_reaching(values, w, high)]
        assert reference["svyquantile"]["beta_degf"] == expected


# --- R's calibrated designs -------------------------------------------------------------------


@pytest.mark.parametrize("weights", ["post_stratified", "raked", "calibrated"])
def test_r_calibration_aware_standard_errors_are_not_always_below_ours(weights):
    """Documented difference: our variance takes calibrated weights as fixed (R's SE of a
    design with those weights, compared above); R's variance of its postStratify / rake design
    takes the residuals of the calibration. On these fixtures the calibration is no sure gain:
    R's standard errors are above ours in some domains, so leaving the gain out does not
    always err on the wide side."""
    ratios = []
    for domain in DOMAINS:
        reference = ESTIMATES[weights][domain]
        ratios += [reference["calibrated_se"][v] / reference[v]["se"] for v in INDICATORS]
    print(f"\n{weights}: R's calibrated SE / ours (before pseudo-variances), proportions: "
          f"{min(ratios):.3f} to {max(ratios):.3f}")  # fmt: skip
    assert min(ratios) < 1 < max(ratios)

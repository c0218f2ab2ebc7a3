"""The statistics of published figures, as pure functions of numpy arrays (no database).

The rules, which docs/results.md states for staff and readers:

- **Design.** Respondents are drawn without replacement within weighting cells (the strata of
  the variance); `Design` holds each respondent's weight and cell and each cell's N_h.
- **Variance** of a ratio p = Σ w·y / Σ w over a domain: Taylor linearisation (influence values
  z = w (y − p) / Σ w, zero outside the domain), stratified, with the finite-population
  correction: V = Σ_h (1 − n_h/N_h) · n_h/(n_h − 1) · Σ_i (z_hi − z̄_h)². A cell answered in
  full adds nothing.
- **Pseudo-variance of a unanimous cell.** A cell whose respondents in the domain all gave the
  same answer (a single respondent always does) has no spread of its own, yet it says little:
  8 small communes that all answered « non » leave their share anywhere between 0 and 37 %.
  Such a cell contributes at least the variance it would have if its respondents answered like
  the domain as a whole: (1 − f_h) · Σ_i w_i² · p(1 − p) / (Σ w)². For a proportion of exactly
  0 or 1 that is 0 too; the effective size is then its limit, Kish's effective size of the
  domain's weights with the finite-population correction, W² / Σ_h (1 − f_h) Σ_i w_i².
- **Effective size** n* = p(1 − p) / V_wr, V_wr being the variance above without the
  finite-population correction (for a mean, the weighted variance of the answers replaces
  p(1 − p)); never more than the respondents in the denominator (NCHS 2017).
- **95 % interval of a proportion**: Korn–Graubard, i.e. Clopper–Pearson at the effective
  size corrected for the degrees of freedom, n*_df = n* · (t_{n−1} / t_df)², with
  df = n − (number of cells with respondents in the domain); then narrowed around p by the
  square root of the finite-population correction, V / V_wr, so that a domain whose
  respondents are all in cells answered in full (a census) has an interval of zero width.
- **Mean**: the t interval (df as above) on the variance without replacement; **median**:
  Woodruff (the Korn–Graubard interval of the share of answers at or below the median, read
  back through the weighted distribution).
- **Publication** (NCHS Data Presentation Standards for Proportions, Parker et al. 2017):
  a proportion is not published when its effective size is under 30, its interval wider than
  30 points, or, when wider than 5 points, wider than 130 % of the proportion; it is published
  « à interpréter avec prudence » when df < 8, when it is 0 or 1, or when its interval is
  wider than 130 % of the complementary proportion. Means and medians follow the same logic
  where the standard has none: not published under an effective size of 30 or with an
  interval wider than 130 % of the figure; with caution when df < 8 or when the answers show no
  spread at all. A census (every respondent in a cell answered in full) of 30 or more is
  published: it has no sampling error, and its effective size is its number of respondents.
"""

import math
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist

import numpy as np

ALPHA = 0.05
Z95 = NormalDist().inv_cdf(1 - ALPHA / 2)
MIN_EFFECTIVE_N = 30
MAX_WIDTH = 0.30
NARROW_WIDTH = 0.05
MAX_RELATIVE_WIDTH = 1.30
MIN_DF = 8
_EPSILON = 1e-12


class Publication:
    """The three outcomes of the publication rule (stored as `results.Reliability` values)."""

    PUBLISHED = "publie"
    CAUTION = "prudence"
    SUPPRESSED = "non-publie"


class UnknownDomain(ValueError):
    """A domain code that names nothing in this computation, in French."""


# --- The design -------------------------------------------------------------------------------


@dataclass
class Design:
    """Weights, and the weighting cell (stratum of the variance) of each respondent."""

    weights: np.ndarray
    cell_index: np.ndarray  # integer index of the cell of each respondent
    cell_totals: np.ndarray  # N_h of each cell

    @cached_property
    def cell_n(self):
        return np.bincount(self.cell_index, minlength=len(self.cell_totals)).astype(float)

    @cached_property
    def fpc(self):
        return np.clip(1 - self.cell_n / self.cell_totals, 0, 1)

    def contributions(self, rows, z):
        """Each cell's share of the with-replacement variance of a total whose influence values
        are z (m × k) on the given rows, n_h/(n_h − 1) · Σ_i (z_hi − z̄_h)², 0 for a cell of one
        respondent: an H × k array (the finite-population correction is applied by callers)."""
        cells = self.cell_index[rows]
        count = len(self.cell_totals)
        sums = np.stack([np.bincount(cells, z[:, j], count) for j in range(z.shape[1])], 1)
        squares = np.stack([np.bincount(cells, z[:, j] ** 2, count) for j in range(z.shape[1])], 1)
        n = self.cell_n[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n > 1, n / (n - 1), 0.0)
        return (scale * (squares - sums**2 / np.maximum(n, 1))).clip(min=0)

    def variance(self, rows, z):
        """Variance of a total whose influence values are z (m × k) on the given rows,
        without replacement (each cell's contribution times 1 − f_h)."""
        return (self.fpc[:, None] * self.contributions(rows, z)).sum(0)

    def censused(self, rows):
        """Whether every given respondent is in a cell answered in full."""
        return bool(np.all(self.fpc[self.cell_index[rows]] == 0))

    def domain(self, rows):
        """The figures of a domain's denominator that every statistic needs."""
        return Domain(self, np.asarray(rows))


@dataclass
class Domain:
    """The respondents in a figure's denominator, and what the design says of them."""

    design: Design
    rows: np.ndarray

    @cached_property
    def weights(self):
        return self.design.weights[self.rows]

    @cached_property
    def total(self):
        return float(self.weights.sum())

    @cached_property
    def cells(self):
        return self.design.cell_index[self.rows]

    @cached_property
    def cell_count(self):
        return np.bincount(self.cells, minlength=len(self.design.cell_totals))

    @property
    def n(self):
        return len(self.rows)

    @cached_property
    def degrees_of_freedom(self):
        """Respondents less the cells they are in (at least 1)."""
        return max(self.n - int((self.cell_count > 0).sum()), 1)

    @cached_property
    def censused(self):
        return self.design.censused(self.rows)

    @cached_property
    def square_weights(self):
        """Σ_i w_i² per cell: what a unit variance costs in each cell."""
        return np.bincount(self.cells, self.weights**2, len(self.design.cell_totals))

    @cached_property
    def kish_size(self):
        """Kish's effective size of the domain's weights, W² / Σ w²."""
        return self.total**2 / float(self.square_weights.sum())

    @cached_property
    def kish_fpc(self):
        """The share of the cost of a unit variance left by the finite-population correction."""
        return float((self.design.fpc * self.square_weights).sum() / self.square_weights.sum())

    def variances(self, z, unanimous, unit_variance):
        """(with replacement, without replacement): the design variances of influence values
        z (m × k), each unanimous cell (H × k) contributing at least as if its answers had the
        domain's unit variance (k)."""
        contributions = self.design.contributions(self.rows, z)
        pseudo = self.square_weights[:, None] * unit_variance[None, :] / self.total**2
        contributions = np.where(unanimous, np.maximum(contributions, pseudo), contributions)
        return contributions.sum(0), (self.design.fpc[:, None] * contributions).sum(0)

    def unanimous(self, y):
        """H × k: the cells whose respondents here all gave the same value of each column."""
        count = len(self.design.cell_totals)
        low = np.full((count, y.shape[1]), np.inf)
        high = np.full((count, y.shape[1]), -np.inf)
        np.minimum.at(low, self.cells, y)
        np.maximum.at(high, self.cells, y)
        return (self.cell_count > 0)[:, None] & (low == high)


# --- Intervals --------------------------------------------------------------------------------


def t_quantile(df):
    from scipy import stats  # imported on first use: a third of a second for every process

    return float(stats.t.ppf(1 - ALPHA / 2, df))


def degrees_of_freedom_factor(n, df):
    """(t_{n−1} / t_df)²: how much fewer degrees of freedom shrink the effective size."""
    if n <= 2 or df >= n - 1:
        return 1.0
    return (t_quantile(n - 1) / t_quantile(df)) ** 2


def clopper_pearson(p, size):
    """The exact 95 % interval of a share p observed on `size` (not necessarily whole) trials."""
    from scipy import stats

    x = p * size
    low = 0.0 if x <= 0 else float(stats.beta.ppf(ALPHA / 2, x, size - x + 1))
    high = 1.0 if x >= size else float(stats.beta.ppf(1 - ALPHA / 2, x + 1, size - x))
    return low, high


def korn_graubard_interval(p, variance, n, df, *, cap=True, ceiling=None, fpc=1.0):
    """(low, high, effective size) of a proportion, Korn and Graubard's interval.

    `variance` is the with-replacement variance. The effective size is p(1 − p) / variance, or
    `ceiling` (by default n) when p is 0 or 1 or the variance is 0; with `cap` it never exceeds
    n. `fpc` (the ratio of the without- to the with-replacement variance) then narrows the
    interval around p by its square root, so that a census has zero width. With cap=False, no
    ceiling and fpc=1 this is R's `svyciprop(method = "beta")` for a design with `df` degrees of
    freedom.
    """
    if variance > 0 and 0 < p < 1:
        effective = p * (1 - p) / variance
    else:
        effective = n if ceiling is None else ceiling
    if cap:
        effective = min(effective, n)
    low, high = clopper_pearson(p, effective * degrees_of_freedom_factor(n, df))
    shrink = math.sqrt(fpc)
    return p - (p - low) * shrink, p + (high - p) * shrink, effective


def logit_interval(p, se, df=None):
    """The 95 % interval on log(p / (1 − p)), with a t quantile when df is given."""
    quantile = Z95 if df is None else t_quantile(df)
    logit = math.log(p / (1 - p))
    spread = quantile * se / (p * (1 - p))
    return expit(logit - spread), expit(logit + spread)


def expit(x):
    return 1 / (1 + math.exp(-x))


def difference_interval(earlier, current):
    """The 95 % interval of current.value − earlier.value from each side's own interval
    (MOVER, Newcombe's method for independent samples): asymmetric intervals, such as
    Korn–Graubard's near 0, carry over to the change."""
    d = current.value - earlier.value
    low = d - math.hypot(current.value - current.ci_low, earlier.ci_high - earlier.value)
    high = d + math.hypot(current.ci_high - current.value, earlier.value - earlier.ci_low)
    return low, high


# --- The publication rule ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the rule decided, and the first condition that decided it (empty if none)."""

    decision: str
    reason: str = ""


# The conditions of the rule, as `Verdict.reason` names them.
FEW_EFFECTIVE = "taille-effective"
TOO_WIDE = "largeur"
RELATIVELY_WIDE = "largeur-relative"
FEW_DEGREES = "degres-de-liberte"
EXTREME = "zero-ou-cent"
LOOSE_COMPLEMENT = "complement"
NO_SPREAD = "sans-dispersion"


def proportion_verdict(value, low, high, effective_n, df, census=False):
    """NCHS 2017 for proportions: published, with caution, or suppressed, and why."""
    if effective_n is None or effective_n < MIN_EFFECTIVE_N - _EPSILON:
        return Verdict(Publication.SUPPRESSED, FEW_EFFECTIVE)
    if census:
        return Verdict(Publication.PUBLISHED)
    width = high - low
    if width > MAX_WIDTH + _EPSILON:
        return Verdict(Publication.SUPPRESSED, TOO_WIDE)
    wide = width > NARROW_WIDTH + _EPSILON
    if wide and not relatively_narrow(width, value):
        return Verdict(Publication.SUPPRESSED, RELATIVELY_WIDE)
    if df < MIN_DF:
        return Verdict(Publication.CAUTION, FEW_DEGREES)
    if value <= 0 or value >= 1:
        return Verdict(Publication.CAUTION, EXTREME)
    if wide and not relatively_narrow(width, 1 - value):
        return Verdict(Publication.CAUTION, LOOSE_COMPLEMENT)
    return Verdict(Publication.PUBLISHED)


def number_verdict(value, low, high, effective_n, df, *, spread=True, census=False):
    """The same logic for a mean or a median (the standard has no rule of its own for them)."""
    if effective_n is None or effective_n < MIN_EFFECTIVE_N - _EPSILON:
        return Verdict(Publication.SUPPRESSED, FEW_EFFECTIVE)
    if census:
        return Verdict(Publication.PUBLISHED)
    width = high - low
    if width > _EPSILON and not relatively_narrow(width, abs(value)):
        return Verdict(Publication.SUPPRESSED, RELATIVELY_WIDE)
    if df < MIN_DF:
        return Verdict(Publication.CAUTION, FEW_DEGREES)
    if not spread:
        return Verdict(Publication.CAUTION, NO_SPREAD)
    return Verdict(Publication.PUBLISHED)


def proportion_publication(value, low, high, effective_n, df, census=False):
    return proportion_verdict(value, low, high, effective_n, df, census).decision


def number_publication(value, low, high, effective_n, df, *, spread, census=False):
    return number_verdict(value, low, high, effective_n, df, spread=spread, census=census).decision


def relatively_narrow(width, value):
    return value > 0 and width / value <= MAX_RELATIVE_WIDTH + _EPSILON


# --- Figures ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure and everything published beside it."""

    value: float
    n: int  # respondents who chose the option (a mean: the base)
    base_n: int  # respondents in the denominator
    ci_low: float
    ci_high: float
    effective_n: float
    df: int
    se: float
    reliability: str = field(default=Publication.SUPPRESSED)

    @property
    def cv(self):
        return self.se / abs(self.value) if self.value else None


def proportions(design, base, indicators):
    """One Figure per column of `indicators` (n × k, 0/1) among the rows where `base` holds."""
    rows = np.flatnonzero(base)
    if not len(rows):
        return []
    domain = design.domain(rows)
    w = domain.weights
    y = np.asarray(indicators, dtype=float)[rows]
    counts = y.sum(0)
    # Exactly 0 or 1 when nobody or everybody chose it, whatever the rounding says.
    p = np.where(counts == 0, 0.0, np.where(counts == len(rows), 1.0, w @ y / domain.total))
    z = w[:, None] * (y - p) / domain.total
    drawn, finite = domain.variances(z, domain.unanimous(y), p * (1 - p))
    return [
        proportion_figure(domain, float(p[j]), float(drawn[j]), float(finite[j]), int(counts[j]))
        for j in range(y.shape[1])
    ]


def proportion_figure(domain, p, drawn, finite, count):
    """The Figure of a share p whose variance is `drawn` with replacement, `finite` without."""
    n, df = domain.n, domain.degrees_of_freedom
    fpc = finite / drawn if drawn > 0 else domain.kish_fpc
    low, high, effective = korn_graubard_interval(
        p, drawn, n, df, ceiling=domain.kish_size, fpc=fpc
    )
    if domain.censused:
        effective = float(n)
    return Figure(
        value=p,
        n=count,
        base_n=n,
        ci_low=low,
        ci_high=high,
        effective_n=effective,
        df=df,
        se=math.sqrt(finite),
        reliability=proportion_publication(p, low, high, effective, df, domain.censused),
    )


def mean(design, base, values):
    """The weighted mean of `values` (float, n) among the rows where `base` holds."""
    rows = np.flatnonzero(base)
    if not len(rows):
        return None
    domain = design.domain(rows)
    w = domain.weights
    y = np.asarray(values, dtype=float)[rows]
    value = float(w @ y / domain.total)
    spread = float(w @ (y - value) ** 2 / domain.total)
    z = (w * (y - value) / domain.total)[:, None]
    drawn, finite = (
        float(v[0]) for v in domain.variances(z, domain.unanimous(y[:, None]), np.array([spread]))
    )
    n, df = domain.n, domain.degrees_of_freedom
    effective = min(spread / drawn, n) if drawn > 0 else min(domain.kish_size, n)
    if domain.censused:
        effective = float(n)
    se = math.sqrt(finite)
    low, high = value - t_quantile(df) * se, value + t_quantile(df) * se
    return Figure(
        value=value,
        n=n,
        base_n=n,
        ci_low=low,
        ci_high=high,
        effective_n=effective,
        df=df,
        se=se,
        reliability=number_publication(
            value, low, high, effective, df, spread=spread > 0, census=domain.censused
        ),
    )


def median(design, base, values):
    """The weighted median with Woodruff's 95 % interval."""
    rows = np.flatnonzero(base)
    if not len(rows):
        return None
    w = design.weights[rows]
    y = np.asarray(values, dtype=float)[rows]
    order = np.argsort(y, kind="stable")
    sorted_y, shares = y[order], np.cumsum(w[order]) / w.sum()

    def quantile(level):
        return float(sorted_y[np.searchsorted(shares, level - 1e-12, side="left")])

    value = quantile(0.5)
    below = np.zeros(len(base))
    below[rows] = y <= value
    (share,) = proportions(design, base, below[:, None])
    low = quantile(max(0.5 - (share.value - share.ci_low), 0.0))
    high = quantile(min(0.5 + (share.ci_high - share.value), 1.0))
    spread = bool(y.max() > y.min())
    return Figure(
        value=value,
        n=len(rows),
        base_n=len(rows),
        ci_low=low,
        ci_high=high,
        effective_n=share.effective_n,
        df=share.df,
        se=(high - low) / (2 * Z95),
        reliability=number_publication(
            value,
            low,
            high,
            share.effective_n,
            share.df,
            spread=spread,
            census=design.domain(rows).censused,
        ),
    )

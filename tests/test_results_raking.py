"""Raking to any number of margins (results.weighting.rake), checked against independent sums."""

import itertools
from collections import Counter

import numpy as np
import pytest

from results.weighting import RakingMargin, WeightingError, rake

UNBOUNDED = (1e-12, 1e12)


def plain_ipf(base, margins, passes=10_000):
    """Iterative proportional fitting in plain Python: margins are (categories, {category: N})."""
    weights = list(base)
    for _ in range(passes):
        for categories, targets in margins:
            sums = dict.fromkeys(targets, 0.0)
            for category, weight in zip(categories, weights, strict=True):
                sums[category] += weight
            weights = [w * targets[c] / sums[c] for c, w in zip(categories, weights, strict=True)]
        if all(
            abs(sum(w for c2, w in zip(categories, weights, strict=True) if c2 == c) - n)
            < 1e-12 * n
            for categories, targets in margins
            for c, n in targets.items()
        ):
            break
    return weights


def margin(name, categories, targets):
    """A RakingMargin from category labels and {label: target}, labels in sorted order."""
    keys = sorted(targets)
    return RakingMargin(
        name,
        np.array([keys.index(c) for c in categories]),
        np.array([targets[k] for k in keys], dtype=float),
    )


def sums_by(categories, weights):
    sums = {}
    for category, weight in zip(categories, weights, strict=True):
        sums[category] = sums.get(category, 0.0) + weight
    return sums


# Twelve respondents with three characteristics, unevenly spread, and base weights that differ.
SEX = list("ffffffffmmmm")
AGE = ["y", "y", "o", "o", "o", "o", "o", "y", "y", "o", "o", "o"]
TOWN = ["s", "s", "s", "b", "b", "b", "b", "s", "b", "b", "s", "s"]
BASE = [1.0, 2.0, 1.5, 1.0, 0.5, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 0.7]
TARGETS = {"sex": {"f": 52, "m": 48}, "age": {"y": 35, "o": 65}, "town": {"s": 40, "b": 60}}


def test_unbounded_raking_on_three_margins_agrees_with_a_plain_python_ipf_to_1e_8():
    expected = plain_ipf(
        BASE, [(SEX, TARGETS["sex"]), (AGE, TARGETS["age"]), (TOWN, TARGETS["town"])]
    )
    raking = rake(
        np.array(BASE),
        [
            margin("sex", SEX, TARGETS["sex"]),
            margin("age", AGE, TARGETS["age"]),
            margin("town", TOWN, TARGETS["town"]),
        ],
        bounds=UNBOUNDED,
    )
    assert list(raking.weights) == pytest.approx(expected, rel=1e-8)
    assert list(raking.factors) == pytest.approx(
        [w / b for w, b in zip(expected, BASE, strict=True)], rel=1e-8
    )
    for name, categories in [("sex", SEX), ("age", AGE), ("town", TOWN)]:
        assert sums_by(categories, raking.weights) == pytest.approx(TARGETS[name], rel=1e-9)
        assert raking.gaps[name] < 1e-10
    assert raking.passes > 1


def test_a_sample_spread_like_a_product_gets_the_product_of_the_ratios_in_one_pass():
    # p_a · q_b · r_c respondents in cell (a, b, c): the sample's joint spread is the product of
    # its margins, so the raked weight is (T_a / n_a)(T_b / n_b)(T_c / n_c)(n / T)².
    p, q, r = {"a1": 1, "a2": 3}, {"b1": 1, "b2": 2, "b3": 2}, {"c1": 1, "c2": 4}
    a, b, c = [], [], []
    for (ka, pa), (kb, qb), (kc, rc) in itertools.product(p.items(), q.items(), r.items()):
        a += [ka] * (pa * qb * rc)
        b += [kb] * (pa * qb * rc)
        c += [kc] * (pa * qb * rc)
    n, total = len(a), 1000.0
    targets = [{"a1": 700, "a2": 300}, {"b1": 200, "b2": 500, "b3": 300}, {"c1": 450, "c2": 550}]
    counts = [Counter(a), Counter(b), Counter(c)]
    expected = [
        targets[0][x] / counts[0][x]
        * targets[1][y] / counts[1][y]
        * targets[2][z] / counts[2][z]
        * (n / total) ** 2
        for x, y, z in zip(a, b, c, strict=True)
    ]  # fmt: skip
    base = np.array([targets[0][x] / counts[0][x] for x in a])  # post-stratified on a
    raking = rake(
        base,
        [margin("a", a, targets[0]), margin("b", b, targets[1]), margin("c", c, targets[2])],
        bounds=UNBOUNDED,
    )
    assert list(raking.weights) == pytest.approx(expected, rel=1e-12)
    assert raking.passes == 1


def test_bounds_are_respected_when_the_margins_can_still_be_reached_within_them():
    a = [0] * 8 + [1] * 7
    b = [0] * 6 + [1] * 2 + [0] * 1 + [1] * 6
    margins = [margin("a", a, {0: 8, 1: 7}), margin("b", b, {0: 5, 1: 10})]
    unbounded = rake(np.ones(15), margins, bounds=UNBOUNDED)
    assert unbounded.factor_min < 0.5  # so the bounds below do bind
    bounded = rake(np.ones(15), margins, bounds=(0.5, 2.0))
    assert bounded.factors.min() >= 0.5 - 1e-12 and bounded.factors.max() <= 2.0 + 1e-12
    assert sums_by(a, bounded.weights) == pytest.approx({0: 8, 1: 7}, rel=1e-9)
    assert sums_by(b, bounded.weights) == pytest.approx({0: 5, 1: 10}, rel=1e-9)


def test_when_the_bounds_stop_the_raking_the_first_margin_is_exact_and_the_gap_is_reported():
    a = [0] * 8 + [1] * 7
    b = [0] * 6 + [1] * 2 + [0] * 1 + [1] * 6
    margins = [margin("a", a, {0: 8, 1: 7}), margin("b", b, {0: 4, 1: 11})]
    raking = rake(np.ones(15), margins, bounds=(0.5, 2.0))
    assert sums_by(a, raking.weights) == pytest.approx({0: 8, 1: 7}, rel=1e-12)
    by_b = sums_by(b, raking.weights)
    gap = max(abs(by_b[0] - 4) / 4, abs(by_b[1] - 11) / 11)
    assert gap > 1e-3
    assert raking.gaps == pytest.approx({"a": 0.0, "b": gap}, abs=1e-12)


def test_fixed_respondents_keep_a_factor_of_1():
    a = [0, 0, 0, 1, 1]
    b = [0, 1, 0, 1, 0]
    fixed = np.array([False, False, False, True, True])
    margins = [margin("a", a, {0: 30, 1: 2}), margin("b", b, {0: 20, 1: 12})]
    base = np.array([10.0, 10.0, 10.0, 1.0, 1.0])
    raking = rake(base, margins, bounds=UNBOUNDED, fixed=fixed)
    assert list(raking.weights[3:]) == [1.0, 1.0]
    assert sums_by(b, raking.weights) == pytest.approx({0: 20, 1: 12}, rel=1e-9)


def test_a_category_without_respondent_or_margins_of_different_totals_are_refused():
    a = [0, 0, 1]
    with pytest.raises(WeightingError, match="aucun répondant"):
        rake(np.ones(3), [margin("a", a, {0: 5, 1: 5}), margin("b", a, {0: 5, 1: 3, 2: 2})])
    with pytest.raises(WeightingError, match="pas le même total"):
        rake(np.ones(3), [margin("a", a, {0: 5, 1: 5}), margin("b", a, {0: 5, 1: 6})])

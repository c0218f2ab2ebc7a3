"""Calibrated weights: post-stratification, raking on régions, collapse rules (issue 11, 3)."""

from collections import defaultdict

import numpy as np
import pytest

from results.models import Frame, Stratum
from results.weighting import (
    POOLED_REGIONS,
    EmptyRegion,
    EmptyStratum,
    WeightingError,
    calibrate,
    weigh_edition,
)
from survey.enums import CollectiviteKind, ResponseStatus
from tests.factories import CollectiviteFactory, EditionFactory, ResponseFactory

A, B = Stratum.COMMUNE_UNDER_3500, Stratum.COMMUNE_3500_10000
CU, METRO = Stratum.EPCI_CU, Stratum.EPCI_METROPOLE

FRAME = {(A, "11"): 50, (A, "84"): 30, (B, "11"): 10, (B, "84"): 10}


def respondents(counts):
    """Stratum and région lists from {(stratum, région): number of respondents}."""
    strata, regions = [], []
    for (stratum, region), count in counts.items():
        strata += [stratum] * count
        regions += [region] * count
    return strata, regions


def margins(keys, weights):
    sums = defaultdict(float)
    for key, weight in zip(keys, weights, strict=True):
        sums[key] += weight
    return dict(sums)


def test_weights_sum_to_the_frame_n_and_raked_margins_match_their_targets_within_1e_6():
    strata, regions = respondents({(A, "11"): 5, (A, "84"): 2, (B, "11"): 1, (B, "84"): 3})
    calibration = calibrate(strata, regions, FRAME)
    assert calibration.total == pytest.approx(100, abs=1e-6)
    for stratum, target in {A: 80, B: 20}.items():
        assert margins(strata, calibration.weights)[stratum] == pytest.approx(target, abs=1e-6)
    for region, target in {"11": 60, "84": 40}.items():
        assert margins(regions, calibration.weights)[region] == pytest.approx(target, abs=1e-6)
    assert (calibration.weights > 0).all()


def test_post_stratification_alone_weighs_each_respondent_n_h_over_n_h():
    frame = {(A, "84"): 80, (B, "84"): 20}
    strata, regions = respondents({(A, "84"): 4, (B, "84"): 5})
    calibration = calibrate(strata, regions, frame)
    assert list(calibration.weights) == pytest.approx([20] * 4 + [4] * 5, abs=1e-9)
    assert calibration.factor_min == pytest.approx(1) and calibration.factor_max == pytest.approx(1)


def test_kish_efficiency_and_effective_n_follow_their_definitions():
    strata, regions = respondents({(A, "11"): 5, (A, "84"): 2, (B, "11"): 1, (B, "84"): 3})
    calibration = calibrate(strata, regions, FRAME)
    w = list(calibration.weights)
    effective = sum(w) ** 2 / sum(x * x for x in w)
    assert calibration.effective_n == pytest.approx(effective, rel=1e-12)
    assert calibration.kish_efficiency == pytest.approx(effective / len(w), rel=1e-12)
    assert 0 < calibration.kish_efficiency <= 1


def test_factors_are_bounded_and_the_strata_are_still_matched_when_the_bounds_bind():
    # One respondent in région 11 of stratum A must stand for 50 collectivités out of 80.
    strata, regions = respondents({(A, "11"): 1, (A, "84"): 9, (B, "11"): 5, (B, "84"): 5})
    calibration = calibrate(strata, regions, FRAME, bounds=(0.5, 2.0))
    assert calibration.total == pytest.approx(100, abs=1e-6)
    assert margins(strata, calibration.weights)[A] == pytest.approx(80, abs=1e-6)
    assert calibration.region_gap > 1e-3  # reported, not hidden
    unbounded = calibrate(strata, regions, FRAME, bounds=(1e-6, 1e6))
    assert unbounded.factor_max > 2.0
    assert unbounded.region_gap < 1e-9


def test_a_stratum_answered_in_full_keeps_weights_of_1_through_the_raking():
    frame = {(A, "11"): 50, (A, "84"): 30, (METRO, "11"): 2, (METRO, "84"): 1}
    strata, regions = respondents({(A, "11"): 3, (A, "84"): 7, (METRO, "11"): 2, (METRO, "84"): 1})
    calibration = calibrate(strata, regions, frame)
    metropoles = [w for s, w in zip(strata, calibration.weights, strict=True) if s == METRO]
    assert metropoles == pytest.approx([1, 1, 1], abs=1e-12)
    for region, target in {"11": 52, "84": 31}.items():
        assert margins(regions, calibration.weights)[region] == pytest.approx(target, abs=1e-6)


def test_a_stratum_without_respondent_raises_an_error_that_names_it():
    frame = {(CU, "84"): 14, (METRO, "84"): 21}
    strata, regions = respondents({(CU, "84"): 3})
    with pytest.raises(EmptyStratum, match="La strate « Métropoles » n'a aucun répondant") as error:
        calibrate(strata, regions, frame, collapse=False)
    assert error.value.stratum == METRO


def test_the_collapse_rule_merges_an_empty_stratum_into_its_neighbour_and_records_it():
    frame = {(CU, "84"): 14, (METRO, "84"): 21}
    strata, regions = respondents({(CU, "84"): 3})
    calibration = calibrate(strata, regions, frame)
    assert calibration.cells == [CU] * 3
    assert calibration.cell_totals == {CU: 35}
    assert list(calibration.weights) == pytest.approx([35 / 3] * 3)
    assert calibration.collapsed == [
        {
            "strate": METRO,
            "libelle": "Métropoles",
            "regroupee_avec": CU,
            "libelle_regroupement": "Communautés urbaines",
        }
    ]


def test_the_collapse_rule_walks_through_empty_neighbours_to_the_nearest_with_respondents():
    big = Stratum.COMMUNE_10000_100000
    frame = {(A, "84"): 100, (B, "84"): 20, (big, "84"): 5}
    strata, regions = respondents({(big, "84"): 2})
    calibration = calibrate(strata, regions, frame)
    assert calibration.cell_totals == {big: 125}
    assert [entry["regroupee_avec"] for entry in calibration.collapsed] == [big, big]


def test_communes_never_stand_for_epci_even_under_the_collapse_rule():
    frame = {(A, "84"): 100, (Stratum.EPCI_CC, "84"): 10}
    strata, regions = respondents({(A, "84"): 5})
    with pytest.raises(EmptyStratum, match="« Communautés de communes ».*ni aucune des strates"):
        calibrate(strata, regions, frame)


def test_a_region_without_respondent_is_named_or_shared_among_the_others_by_the_rule():
    frame = {(A, "11"): 50, (A, "84"): 30, (A, "04"): 20}
    strata, regions = respondents({(A, "11"): 5, (A, "84"): 5})
    names = {"04": "La Réunion"}
    with pytest.raises(EmptyRegion, match="La région « La Réunion » n'a aucun répondant"):
        calibrate(strata, regions, frame, region_names=names, collapse=False)
    calibration = calibrate(strata, regions, frame, region_names=names)
    assert calibration.total == pytest.approx(100, abs=1e-6)
    by_region = margins(regions, calibration.weights)
    assert by_region["11"] == pytest.approx(50 * 100 / 80, abs=1e-6)
    assert by_region["84"] == pytest.approx(30 * 100 / 80, abs=1e-6)
    assert calibration.collapsed[0]["region"] == "04"
    assert calibration.collapsed[0]["regroupee_avec"] == POOLED_REGIONS


def test_no_respondent_at_all_is_a_french_error():
    with pytest.raises(WeightingError, match="Aucune réponse envoyée"):
        calibrate([], [], FRAME)


@pytest.mark.django_db
def test_only_sent_responses_of_the_frame_are_weighted_other_structures_are_counted_apart():
    edition = EditionFactory(year=2025)
    villages = [
        CollectiviteFactory(population=1000, region_code="84", region_name="ARA") for _ in range(6)
    ]
    town = CollectiviteFactory(population=6000, region_code="84", region_name="ARA")
    frame = Frame.freeze(edition)
    sent = {"status": ResponseStatus.SUBMITTED, "submitted_at": edition.opens_at}
    ResponseFactory(edition=edition, collectivite=villages[0], **sent)
    ResponseFactory(edition=edition, collectivite=villages[1], **sent)
    ResponseFactory(edition=edition, collectivite=villages[2])  # a draft
    ResponseFactory(edition=edition, collectivite=town, **sent)
    ResponseFactory(edition=edition, other_structure_name="Syndicat mixte", **sent)
    late = CollectiviteFactory(kind=CollectiviteKind.COMMUNE, population=800)
    ResponseFactory(edition=edition, collectivite=late, **sent)  # added after the freeze

    weighted = weigh_edition(frame)
    assert len(weighted.response_ids) == 3
    assert weighted.other_structure_count == 1
    assert weighted.outside_frame_count == 1
    assert sorted(np.round(weighted.calibration.weights, 9)) == [1.0, 3.0, 3.0]
    assert weighted.calibration.total == pytest.approx(frame.collectivite_count)

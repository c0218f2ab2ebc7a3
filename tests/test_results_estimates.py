"""Estimates, their intervals and the rules around them (issue 11, point 4)."""

import math

import numpy as np
import pytest
from scipy import stats

from results.estimation import Sample, base_text, estimates_for, has_dont_know, run_computation
from results.models import Computation, Estimate, Frame, Reliability, Statistic
from results.statistics import (
    Design,
    UnknownDomain,
    mean,
    median,
    proportion_publication,
    proportions,
)
from survey.collection.models import Answer
from survey.enums import CollectiviteKind, QuestionKind, ResponseStatus
from tests.factories import (
    CollectiviteFactory,
    EditionFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
)

# A worked example: cell 0 has N = 10 and 4 respondents weighing 2.5; cell 1 has N = 6 and 2
# respondents weighing 3. Answers: 1, 1, 0, 0 in cell 0 and 1, 0 in cell 1.
WEIGHTS = [2.5, 2.5, 2.5, 2.5, 3.0, 3.0]
CELLS = [0, 0, 0, 0, 1, 1]
TOTALS = [10, 6]
ANSWERS = [1, 1, 0, 0, 1, 0]


def example_design():
    return Design(np.array(WEIGHTS), np.array(CELLS), np.array(TOTALS, dtype=float))


def by_hand_variance(weights, cells, totals, y, estimate, base=None):
    """Stratified, without-replacement variance of the linearised ratio, loop by loop."""
    base = base or [True] * len(weights)
    total = sum(w for w, b in zip(weights, base, strict=True) if b)
    variance = 0.0
    for h, big_n in enumerate(totals):
        members = [i for i, c in enumerate(cells) if c == h]
        n_h = len(members)
        z = [weights[i] * (y[i] - estimate) / total if base[i] else 0.0 for i in members]
        z_bar = sum(z) / n_h
        variance += (1 - n_h / big_n) * n_h / (n_h - 1) * sum((x - z_bar) ** 2 for x in z)
    return variance


def korn_graubard_by_hand(p, variance_with_replacement, fpc, n, df):
    """Korn–Graubard written out with scipy's quantiles, independently of results.statistics."""
    effective = min(p * (1 - p) / variance_with_replacement, n)
    size = effective * (stats.t.ppf(0.975, n - 1) / stats.t.ppf(0.975, df)) ** 2
    x = p * size
    low = stats.beta.ppf(0.025, x, size - x + 1) if x > 0 else 0.0
    high = stats.beta.ppf(0.975, x + 1, size - x) if x < size else 1.0
    shrink = math.sqrt(fpc)
    return p - (p - low) * shrink, p + (high - p) * shrink, effective


def test_a_proportion_and_its_korn_graubard_interval_agree_with_the_worked_example_to_1e_9():
    (yes,) = proportions(example_design(), np.ones(6, dtype=bool), np.array([ANSWERS]).T)
    assert yes.value == pytest.approx(8 / 16, abs=1e-12)  # (2.5 + 2.5 + 3) / 16
    # Cell 0: (1 − 4/10)·4/3·4·(2.5·0.5/16)² ; cell 1: (1 − 2/6)·2/1·2·(3·0.5/16)².
    variance = 0.6 * 4 / 3 * 4 * (2.5 * 0.5 / 16) ** 2 + (2 / 3) * 2 * 2 * (3 * 0.5 / 16) ** 2
    assert variance == pytest.approx(0.04296875, abs=1e-12)
    assert by_hand_variance(WEIGHTS, CELLS, TOTALS, ANSWERS, 0.5) == pytest.approx(variance)
    assert yes.se == pytest.approx(math.sqrt(variance), abs=1e-12)
    # The same without the finite-population correction, for the effective size.
    drawn = 4 / 3 * 4 * (2.5 * 0.5 / 16) ** 2 + 2 * 2 * (3 * 0.5 / 16) ** 2
    low, high, effective = korn_graubard_by_hand(0.5, drawn, variance / drawn, n=6, df=4)
    assert (yes.ci_low, yes.ci_high) == pytest.approx((low, high), abs=1e-9)
    assert yes.effective_n == pytest.approx(effective, abs=1e-9) and yes.effective_n <= 6
    assert yes.df == 6 - 2
    assert (yes.n, yes.base_n) == (3, 6)


def test_a_unanimous_cell_adds_at_least_the_variance_it_would_have_answering_like_the_domain():
    domain = [True, True, True, False, True, False]
    (yes,) = proportions(example_design(), np.array(domain), np.array([ANSWERS]).T)
    expected = (2.5 + 2.5 + 3) / (2.5 * 3 + 3)
    assert yes.value == pytest.approx(expected, abs=1e-12)
    by_hand = by_hand_variance(WEIGHTS, CELLS, TOTALS, ANSWERS, expected, base=domain)
    # Cell 1 has one respondent in the domain, who answered « oui »: unanimous. Its own
    # contribution (the domain's size varying) is replaced by a Bernoulli(p) one if larger.
    total = 2.5 * 3 + 3
    z = 3.0 * (1 - expected) / total  # the other member of cell 1 is outside the domain: 0
    cell_1_own = (1 - 2 / 6) * 2 / 1 * 2 * (z / 2) ** 2
    pseudo = (1 - 2 / 6) * 3.0**2 * expected * (1 - expected) / total**2
    assert pseudo > cell_1_own
    cell_0 = by_hand - cell_1_own
    assert yes.se**2 == pytest.approx(cell_0 + pseudo, abs=1e-12)


def test_a_stratum_answered_in_full_gives_a_zero_width_interval_and_is_published():
    design = Design(np.ones(30), np.zeros(30, dtype=int), np.array([30.0]))
    (share,) = proportions(design, np.ones(30, dtype=bool), np.array([[1, 0, 1] * 10]).T)
    assert share.value == pytest.approx(2 / 3)
    assert share.ci_low == pytest.approx(2 / 3) and share.ci_high == pytest.approx(2 / 3)
    assert share.reliability == Reliability.PUBLISHED  # a census has no sampling error
    few = Design(np.ones(3), np.zeros(3, dtype=int), np.array([3.0]))
    (share,) = proportions(few, np.ones(3, dtype=bool), np.array([[1, 0, 1]]).T)
    assert share.reliability == Reliability.SUPPRESSED  # but 3 answers are never published


def test_the_finite_population_correction_narrows_the_interval_as_the_sample_grows():
    answers = np.array([[1, 0, 1, 0, 1, 1]]).T
    widths = []
    for big_n in (600, 12, 7):
        design = Design(np.full(6, big_n / 6), np.zeros(6, dtype=int), np.array([big_n * 1.0]))
        (share,) = proportions(design, np.ones(6, dtype=bool), answers)
        widths.append(share.ci_high - share.ci_low)
        assert share.effective_n <= 6
    assert widths[0] > widths[1] > widths[2] > 0


def test_a_zero_proportion_gets_the_exact_bound_at_the_kish_size_and_is_not_published_on_20():
    design = Design(np.ones(20), np.zeros(20, dtype=int), np.array([1000.0]))
    (none,) = proportions(design, np.ones(20, dtype=bool), np.zeros((20, 1)))
    assert none.value == 0 and none.ci_low == 0
    shrink = math.sqrt(1 - 20 / 1000)
    assert none.ci_high == pytest.approx((1 - 0.025 ** (1 / 20)) * shrink, abs=1e-12)
    assert none.cv is None and none.reliability == Reliability.SUPPRESSED  # effective n 20


def test_a_zero_proportion_on_enough_respondents_is_published_with_caution():
    design = Design(np.ones(200), np.zeros(200, dtype=int), np.array([100_000.0]))
    (none,) = proportions(design, np.ones(200, dtype=bool), np.zeros((200, 1)))
    assert none.ci_high < 0.05
    assert none.reliability == Reliability.CAUTION  # 0 %: NCHS asks for a second look


def test_a_share_of_everyone_is_exactly_1_with_the_lower_bound_whatever_the_rounding():
    weights = np.array([0.1, 0.2, 0.7, 0.1, 0.3, 1.3, 0.1, 0.1, 0.1, 0.1])
    design = Design(weights, np.zeros(10, dtype=int), np.array([500.0]))
    (everyone,) = proportions(design, np.ones(10, dtype=bool), np.ones((10, 1)))
    kish_n = weights.sum() ** 2 / (weights**2).sum()
    assert everyone.value == 1 and everyone.ci_high == 1
    shrink = math.sqrt(1 - 10 / 500)
    assert everyone.ci_low == pytest.approx(1 - (1 - 0.025 ** (1 / kish_n)) * shrink, abs=1e-12)
    assert everyone.effective_n == pytest.approx(kish_n)


def test_the_weighted_mean_and_its_t_interval_agree_with_a_computation_by_hand():
    values = [10, 20, 30, 40, 5, 15]
    figure = mean(example_design(), np.ones(6, dtype=bool), np.array(values, dtype=float))
    expected = (2.5 * 100 + 3 * 20) / 16
    assert figure.value == pytest.approx(expected, abs=1e-12)
    se = math.sqrt(by_hand_variance(WEIGHTS, CELLS, TOTALS, values, expected))
    t = stats.t.ppf(0.975, 6 - 2)
    assert figure.ci_low == pytest.approx(expected - t * se, abs=1e-9)
    assert figure.ci_high == pytest.approx(expected + t * se, abs=1e-9)
    assert figure.effective_n <= 6


def test_a_mean_of_zero_is_never_published_on_an_interval_wider_than_itself():
    design = Design(np.ones(40), np.zeros(40, dtype=int), np.array([10_000.0]))
    values = np.array([-30.0, 30.0] * 20)
    figure = mean(design, np.ones(40, dtype=bool), values)
    assert figure.value == 0 and figure.ci_high > 0
    assert figure.reliability == Reliability.SUPPRESSED


def test_the_weighted_median_is_the_first_answer_reaching_half_the_weight_with_woodruff_bounds():
    values = np.array([10, 20, 30, 40, 5, 15], dtype=float)
    # Sorted: 5 (3), 10 (2.5), 15 (3), 20 (2.5), 30, 40: shares 3/16, 5.5/16, 8.5/16 ≥ 1/2.
    figure = median(example_design(), np.ones(6, dtype=bool), values)
    assert figure.value == 15
    below = np.array([1, 0, 0, 0, 1, 1])
    share = (2.5 + 3 + 3) / 16
    finite = by_hand_variance(WEIGHTS, CELLS, TOTALS, below, share)
    drawn = by_hand_variance(WEIGHTS, CELLS, [math.inf, math.inf], below, share)
    low, high, _ = korn_graubard_by_hand(share, drawn, finite / drawn, n=6, df=4)
    shares = {5: 3 / 16, 10: 5.5 / 16, 15: 8.5 / 16, 20: 11 / 16, 30: 13.5 / 16, 40: 1}

    def first_reaching(level):
        return min(v for v, s in shares.items() if s >= level - 1e-12)

    assert figure.ci_low == first_reaching(max(0.5 - (share - low), 0))
    assert figure.ci_high == first_reaching(min(0.5 + (high - share), 1))


@pytest.mark.parametrize(
    ("value", "low", "high", "effective_n", "df", "flag"),
    [
        (0.40, 0.30, 0.50, 30, 20, Reliability.PUBLISHED),
        (0.40, 0.30, 0.50, 29.9, 20, Reliability.SUPPRESSED),  # effective n under 30
        (0.50, 0.35, 0.65, 100, 20, Reliability.PUBLISHED),  # 30 points wide: the edge
        (0.50, 0.349, 0.65, 100, 20, Reliability.SUPPRESSED),  # wider than 30 points
        (0.10, 0.04, 0.17, 100, 20, Reliability.PUBLISHED),  # 13 points, 130 % of 10 %
        (0.10, 0.04, 0.171, 100, 20, Reliability.SUPPRESSED),  # relative width over 130 %
        (0.02, 0.005, 0.045, 100, 20, Reliability.PUBLISHED),  # 4 points: narrow enough
        (0.40, 0.30, 0.50, 100, 7, Reliability.CAUTION),  # fewer than 8 degrees of freedom
        (0.0, 0.0, 0.04, 100, 20, Reliability.CAUTION),  # 0 %: a second look
        (0.93, 0.85, 0.98, 100, 20, Reliability.CAUTION),  # the complement is too loose
    ],
)
def test_the_publication_rule_holds_at_its_edges(value, low, high, effective_n, df, flag):
    assert proportion_publication(value, low, high, effective_n, df) == flag


# --- Through the database -------------------------------------------------------------------


@pytest.fixture
def computed(db):
    """An edition with 12 villages (8 answering) and 3 towns (all answering, a census)."""
    edition = EditionFactory(year=2025)
    section = SectionFactory(edition=edition)
    usage = QuestionFactory(
        section=section,
        code="usage",
        kind=QuestionKind.SINGLE_CHOICE,
        choices=["oui", "non", "nsp"],
    )
    usage.choices.filter(code="nsp").update(label="Je ne sais pas", is_dont_know=True)
    domaines = QuestionFactory(
        section=section,
        code="domaines",
        kind=QuestionKind.MULTIPLE_CHOICE,
        choices=["eau", "voirie"],
        condition_question=usage,
        condition_codes=["oui"],
    )
    agents = QuestionFactory(section=section, code="agents", kind=QuestionKind.INTEGER)
    impacts = QuestionFactory(
        section=section,
        code="impacts",
        kind=QuestionKind.MATRIX,
        choices=["positif", "negatif"],
        items=["agents", "usagers"],
    )
    villages = [
        CollectiviteFactory(population=1000, region_code="84", region_name="ARA") for _ in range(12)
    ]
    towns = [
        CollectiviteFactory(population=20000, region_code="11", region_name="Île-de-France")
        for _ in range(3)
    ]
    frame = Frame.freeze(edition)
    sent = {"status": ResponseStatus.SUBMITTED, "submitted_at": edition.opens_at}
    usage_answers = ["oui", "oui", "non", "nsp", "oui", "non", "non", "oui"] + ["oui"] * 3
    for i, collectivite in enumerate(villages[:8] + towns):
        response = ResponseFactory(edition=edition, collectivite=collectivite, **sent)
        Answer.objects.create(response=response, question=usage, value={"choice": usage_answers[i]})
        Answer.objects.create(response=response, question=agents, value=10 * (i + 1))
        if usage_answers[i] == "oui":
            Answer.objects.create(response=response, question=domaines, value={"choices": ["eau"]})
        elif i == 2:  # a left-over answer of a question no longer asked: not counted
            Answer.objects.create(
                response=response, question=domaines, value={"choices": ["voirie"]}
            )
        if i < 6:
            Answer.objects.create(response=response, question=impacts, value={"agents": "positif"})
    ResponseFactory(edition=edition, other_structure_name="Syndicat", **sent)
    computation = run_computation(frame)
    return computation, {"usage": usage, "domaines": domaines, "agents": agents,
                         "impacts": impacts}  # fmt: skip


def stored(computation, question, domain, **filters):
    rows = Estimate.objects.filter(computation=computation, question=question, domain=domain)
    return {(e.row_code, e.choice_code, e.statistic): e for e in rows.filter(**filters)}


def test_estimates_are_stored_for_every_domain_with_french_labels(computed):
    computation, questions = computed
    domains = dict(
        Estimate.objects.filter(computation=computation, question=questions["usage"])
        .values_list("domain", "domain_label")
        .distinct()
    )
    assert domains["toutes"] == "Toutes collectivités"
    assert domains["3500-plus"] == "Collectivités de 3\u202f500 habitants ou plus"
    assert domains["type:commune"] == "Communes"
    assert domains["strate:commune-lt3500"] == "Communes de moins de 3 500 habitants"
    assert domains["region:11"] == "Région\u00a0: Île-de-France"
    assert "type:epci" not in domains  # no respondent there


def test_the_single_choice_proportions_are_weighted_and_keep_je_ne_sais_pas_in_the_base(
    computed,
):
    computation, questions = computed
    usage = stored(computation, questions["usage"], "toutes")
    # Villages weigh 12/8 = 1.5, towns 1: oui = 4 villages + 3 towns.
    assert usage["", "oui", Statistic.PROPORTION].value == pytest.approx((4 * 1.5 + 3) / 15)
    assert usage["", "nsp", Statistic.PROPORTION].value == pytest.approx(1.5 / 15)
    assert sum(e.value for e in usage.values()) == pytest.approx(1)
    assert usage["", "oui", Statistic.PROPORTION].base_n == 11
    assert "«\u00a0Je ne sais pas\u00a0» compris" in usage["", "oui", Statistic.PROPORTION].base


@pytest.mark.parametrize(
    ("label", "flagged"), [("Ne se prononce pas", True), ("Je ne sais pas", False)]
)
def test_je_ne_sais_pas_is_the_choice_the_file_flags_whatever_its_label(db, label, flagged):
    question = QuestionFactory(kind=QuestionKind.SINGLE_CHOICE, choices=["oui", "non", "x"])
    question.choices.filter(code="x").update(label=label, is_dont_know=flagged)
    question = type(question).objects.get(pk=question.pk)
    assert has_dont_know(question) is flagged
    assert ("«\u00a0Je ne sais pas\u00a0» compris" in base_text(question)) is flagged


def test_the_towns_answered_in_full_have_zero_width_intervals(computed):
    computation, questions = computed
    towns = stored(computation, questions["usage"], "strate:commune-10000-100000")
    oui = towns["", "oui", Statistic.PROPORTION]
    assert oui.value == 1 and oui.ci_low == oui.ci_high == 1


def test_a_question_not_asked_is_out_of_the_denominator_even_with_a_left_over_answer(computed):
    computation, questions = computed
    domaines = stored(computation, questions["domaines"], "toutes")
    eau = domaines["", "eau", Statistic.PROPORTION]
    assert eau.base_n == 7  # the 7 « oui », not the « non » with a stale answer
    assert eau.value == 1
    assert domaines["", "voirie", Statistic.PROPORTION].n == 0


def test_a_matrix_is_estimated_row_by_row_on_those_who_answered_the_row(computed):
    computation, questions = computed
    impacts = stored(computation, questions["impacts"], "toutes")
    assert impacts["agents", "positif", Statistic.PROPORTION].base_n == 6
    assert impacts["agents", "positif", Statistic.PROPORTION].value == 1
    assert ("usagers", "positif", Statistic.PROPORTION) not in impacts  # nobody answered it


def test_numbers_get_a_weighted_mean_and_median(computed):
    computation, questions = computed
    agents = stored(computation, questions["agents"], "toutes")
    villages, towns = [10 * (i + 1) for i in range(8)], [90, 100, 110]
    expected = (1.5 * sum(villages) + sum(towns)) / 15
    assert agents["", "", Statistic.MEAN].value == pytest.approx(expected)
    assert agents["", "", Statistic.MEDIAN].value == 50  # shares: 50 reaches 7.5/15 first
    assert agents["", "", Statistic.MEAN].ci_low < expected < agents["", "", Statistic.MEAN].ci_high


def test_small_bases_are_not_published(computed):
    computation, questions = computed
    for estimate in Estimate.objects.filter(computation=computation, base_n__lt=10):
        assert estimate.reliability == Reliability.SUPPRESSED


def test_estimates_for_gives_the_stored_figures_again_from_the_weights(computed):
    computation, questions = computed
    computation = Computation.objects.get(pk=computation.pk)
    fresh = estimates_for(computation, questions["usage"], "region:84")
    again = stored(computation, questions["usage"], "region:84")
    assert len(fresh) == len(again) == 3
    for estimate in fresh:
        assert estimate.pk is None
        kept = again[estimate.row_code, estimate.choice_code, estimate.statistic]
        assert estimate.value == pytest.approx(kept.value, abs=1e-12)
        assert estimate.ci_high == pytest.approx(kept.ci_high, abs=1e-12)


def test_a_cross_tab_domain_keeps_the_respondents_who_chose_that_option(computed):
    computation, questions = computed
    fresh = estimates_for(computation, questions["agents"], "question:usage=non")
    means = {e.statistic: e for e in fresh}
    # The « non » are villages 3, 6 and 7 (answers 30, 60, 70), all weighing 1.5.
    assert means[Statistic.MEAN].value == pytest.approx((30 + 60 + 70) / 3)
    assert means[Statistic.MEAN].base_n == 3
    assert means[Statistic.MEAN].domain == "question:usage=non"
    assert "«\u00a0Non\u00a0»" in means[Statistic.MEAN].domain_label
    ticked = estimates_for(computation, questions["usage"], "question:domaines=eau")
    assert {e.choice_code: e.n for e in ticked} == {"oui": 7, "non": 0, "nsp": 0}


def test_an_unknown_domain_is_a_french_error(computed):
    computation, questions = computed
    with pytest.raises(UnknownDomain, match="Domaine inconnu"):
        estimates_for(computation, questions["usage"], "type:syndicat")
    with pytest.raises(UnknownDomain, match="n'a pas d'option « peut-etre »"):
        estimates_for(computation, questions["usage"], "question:usage=peut-etre")


def test_the_sample_from_stored_weights_has_the_same_cells_and_totals(computed):
    computation, _ = computed
    sample = Sample.for_computation(computation)
    assert len(sample) == 11
    assert sorted(sample.design.cell_totals) == [3, 12]
    assert {code for code, _, _ in sample.domains()} >= {"toutes", "type:commune", "region:84"}
    assert CollectiviteKind.EPCI not in {code.partition(":")[2] for code, *_ in sample.domains()}


def test_the_3500_plus_domain_holds_communes_of_3500_or_more_and_every_other_collectivite():
    strata = ["commune-lt3500", "commune-3500-10000", "epci-cc", "departement", "region"]
    sample = Sample(range(5), [1.0] * 5, strata, strata, ["84"] * 5, dict.fromkeys(strata, 9))
    assert list(sample.mask("3500-plus")) == [False, True, True, True, True]
    assert list(sample.mask("type:commune")) == [True, True, False, False, False]
    assert list(sample.mask("strate:epci-cc")) == [False, False, True, False, False]
    assert list(sample.mask("region:84")) == [True] * 5
    with pytest.raises(UnknownDomain):
        sample.mask("region:99")

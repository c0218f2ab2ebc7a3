"""Year over year: a comparable 2025 question beside the 2023 question it continues, each year
with its own frame and weights, the change with its interval, and never a trend for a question
whose scope changed."""

import math
from pathlib import Path

import pytest
from django.utils import timezone

from editions.comparison import Change, Side, panel, year_over_year
from editions.estimates import published_estimates
from editions.importer import import_published
from results.models import Estimate, Reliability
from results.statistics import difference_interval
from survey.collection.models import Answer
from survey.enums import Lineage, ResponseStatus
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import (
    CollectiviteFactory,
    EditionFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
)
from tests.helpers.database import kept_for_the_module
from tests.helpers.results import AI_2023, NATIONAL, ai_table, computation_2025

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker):
    """Both questionnaires and 2023's made-up table, loaded once for the module."""
    with kept_for_the_module(django_db_blocker):
        with django_db_blocker.unblock():
            load_questionnaire(ROOT / "questionnaires" / "2023.toml")
            load_questionnaire(ROOT / "questionnaires" / "2025.toml")
            import_published(Edition.objects.get(year=2023), ai_table(), NATIONAL)
        yield


@pytest.fixture
def editions(loaded_once):
    return Edition.objects.get(year=2023), Edition.objects.get(year=2025)


def test_the_change_of_a_comparable_question_combines_both_years_intervals(editions):
    earlier, current = editions
    computation = computation_2025(
        current,
        [
            ("usage_ia", "oui", 0.40, 0.05, 300),
            ("usage_ia", "non", 0.55, 0.04, 300),
            ("usage_ia", "nsp", 0.05, 0.30, 300),
        ],
    )
    (trend,) = year_over_year(computation, "toutes")
    assert trend.question.code == "usage_ia" and trend.earlier.edition == earlier
    changes = {change.choice_code: change for change in trend.changes}
    assert set(changes) == {"oui", "non", "nsp"}

    # 2023 by hand: the post-stratified « oui »; its interval is results' own.
    national = [31762, 2160, 981, 42, 1233, 21, 101, 18]
    counts = [(oui, oui + non + nsp) for oui, non, nsp in AI_2023.values()]
    total = sum(national)
    p_2023 = sum(N / total * y / n for (y, n), N in zip(counts, national, strict=True))
    figure = {e.choice_code: e for e in published_estimates(earlier.questions.get(code="usage_ia"))}
    oui = changes["oui"]
    assert oui.earlier.value == pytest.approx(p_2023, abs=1e-12)
    assert (oui.earlier.ci_low, oui.earlier.ci_high) == (
        figure["oui"].ci_low,
        figure["oui"].ci_high,
    )
    assert oui.earlier.reliability == figure["oui"].reliability
    # MOVER: each side's distance to its own bounds, 2025's stored interval being [0.32 ; 0.48].
    low_2023, high_2023 = figure["oui"].ci_low, figure["oui"].ci_high
    d = 0.40 - p_2023
    assert oui.difference == pytest.approx(d, abs=1e-12)
    assert oui.ci_low == pytest.approx(d - math.hypot(0.40 - 0.32, high_2023 - p_2023), abs=1e-12)
    assert oui.ci_high == pytest.approx(d + math.hypot(0.48 - 0.40, p_2023 - low_2023), abs=1e-12)
    assert trend.domains == (
        "Toutes collectivités (strates du tableau publié en 2023)",
        "Toutes collectivités",
    )


def test_the_change_interval_is_newcombes_worked_example():
    """Newcombe (1998), Statistics in Medicine 17, 873–890, method 10: 56/70 against 48/80
    with Wilson's intervals gives a difference of 0.2000 in [0.0524 ; 0.3339]."""

    def wilson(x, n):
        p, z = x / n, 1.959963984540054
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return Side(2000, p, centre - half, centre + half, x, n, Reliability.PUBLISHED)

    low, high = difference_interval(wilson(48, 80), wilson(56, 70))
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_the_change_interval_is_walds_when_both_intervals_are_symmetric():
    z = 1.959963984540054
    earlier = Side(2023, 0.30, 0.30 - z * 0.04, 0.30 + z * 0.04, 0, 0, Reliability.PUBLISHED)
    current = Side(2025, 0.45, 0.45 - z * 0.03, 0.45 + z * 0.03, 0, 0, Reliability.PUBLISHED)
    change = Change("", "oui", "Oui", earlier, current)
    spread = z * math.sqrt(0.04**2 + 0.03**2)
    assert change.ci_low == pytest.approx(0.15 - spread, abs=1e-15)
    assert change.ci_high == pytest.approx(0.15 + spread, abs=1e-15)


def test_a_change_is_published_only_when_both_years_pass_the_publication_rule(editions):
    _earlier, current = editions
    computation = computation_2025(
        current, [("usage_ia", "oui", 0.40, 0.05, 300), ("usage_ia", "non", 0.55, 0.04, 300)]
    )
    Estimate.objects.filter(choice_code="non").update(reliability=Reliability.SUPPRESSED)
    changes = {c.choice_code: c for c in year_over_year(computation, "toutes")[0].changes}
    # The 2023 side's flag is its Figure's: the made-up table's 8 small communes weigh 87 %.
    assert changes["oui"].earlier.reliability == Reliability.SUPPRESSED
    assert not changes["oui"].is_published and not changes["non"].is_published
    # With the 2023 side passing the rule, the 2025 side decides.
    changes["oui"].earlier.reliability = changes["non"].earlier.reliability = Reliability.PUBLISHED
    assert changes["oui"].is_published and not changes["non"].is_published


def test_a_change_whose_interval_contains_zero_is_marked_as_noise(editions):
    _earlier, current = editions
    p_2023 = {
        e.choice_code: e.value
        for e in published_estimates(_earlier.questions.get(code="usage_ia"), "toutes")
    }
    computation = computation_2025(
        current,
        [
            ("usage_ia", "oui", p_2023["oui"] + 0.01, 0.10, 300),
            ("usage_ia", "non", 0.30, 0.02, 300),
        ],
    )
    changes = {c.choice_code: c for c in year_over_year(computation, "toutes")[0].changes}
    assert changes["oui"].within_noise
    assert not changes["non"].within_noise and changes["non"].ci_high < 0


def test_a_question_whose_scope_changed_is_never_shown_as_a_trend(editions):
    earlier, current = editions
    # Both years have figures for the question about plans; its scope changed in 2025.
    import_published(earlier, ai_table(("usage_ia", "usage_ia_prevu")), NATIONAL)
    assert published_estimates(earlier.questions.get(code="usage_ia_prevu"), "toutes")
    computation = computation_2025(
        current,
        [("usage_ia_prevu", "oui", 0.5, 0.05, 300), ("usage_ia", "oui", 0.4, 0.05, 300)],
    )
    assert [t.question.code for t in year_over_year(computation, "toutes")] == ["usage_ia"]


def test_a_recoding_adds_up_the_earlier_options_under_their_current_code(editions):
    earlier, _current = editions
    question = earlier.questions.get(code="usage_ia")
    apart = {e.choice_code: e for e in published_estimates(question, "3500-plus")}
    merged = {
        e.choice_code: e
        for e in published_estimates(question, "3500-plus", recoding={"nsp": "non"})
    }
    assert set(merged) == {"oui", "non"}
    assert merged["non"].value == pytest.approx(apart["non"].value + apart["nsp"].value)
    assert merged["oui"].value == pytest.approx(apart["oui"].value)


def test_a_domain_the_published_table_cannot_give_has_no_trend(editions):
    _earlier, current = editions
    computation = computation_2025(current, [("usage_ia", "oui", 0.4, 0.05, 300)])
    Estimate.objects.update(domain="region:84")
    assert year_over_year(computation, "region:84") == []


# -- The panel -----------------------------------------------------------------------------------


def sent_answer(edition, collectivite, code, value):
    response = ResponseFactory(
        edition=edition,
        collectivite=collectivite,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    Answer.objects.create(response=response, question=edition.questions.get(code=code), value=value)
    return response


def test_the_panel_follows_the_same_collectivites_unweighted_and_says_it_is_not_representative(
    tmp_path,
):
    earlier = EditionFactory(year=2040)
    SectionFactory(edition=earlier)
    question_earlier = QuestionFactory(
        edition=earlier, section=earlier.sections.get(), code="usage_ia", kind="yes_no"
    )
    current = EditionFactory(year=2041)
    SectionFactory(edition=current)
    question = QuestionFactory(
        edition=current,
        section=current.sections.get(),
        code="usage_ia",
        kind="yes_no",
        lineage=Lineage.IDENTICAL,
        continues=question_earlier,
    )
    both = [CollectiviteFactory() for _ in range(3)]
    only_earlier, only_current = CollectiviteFactory(), CollectiviteFactory()
    for collectivite, before, now in zip(
        both, [False, False, True], [True, False, True], strict=True
    ):
        sent_answer(earlier, collectivite, "usage_ia", before)
        sent_answer(current, collectivite, "usage_ia", now)
    sent_answer(earlier, only_earlier, "usage_ia", True)
    sent_answer(current, only_current, "usage_ia", False)
    draft = ResponseFactory(edition=current, collectivite=CollectiviteFactory())
    Answer.objects.create(response=draft, question=question, value=True)

    result = panel(question)
    assert result.size == 3
    assert {(s.choice_code, s.earlier, s.current) for s in result.shares} == {
        ("oui", 1, 2),
        ("non", 2, 1),
    }
    assert "n'est pas représentatif" in result.note


def test_there_is_no_panel_with_an_edition_known_only_by_its_published_table(editions):
    _earlier, current = editions
    assert panel(current.questions.get(code="usage_ia")) is None
    assert panel(current.questions.get(code="usage_ia_prevu")) is None


def test_a_change_is_not_published_when_either_side_is_suppressed_or_withheld():
    def change(earlier, current):
        return Change(
            "",
            "oui",
            "Oui",
            Side(2023, 0.4, 0.3, 0.5, n=40, base_n=100, reliability=earlier),
            Side(2025, 0.5, 0.4, 0.6, n=50, base_n=100, reliability=current),
        )

    assert change(Reliability.PUBLISHED, Reliability.CAUTION).is_published
    assert not change(Reliability.PUBLISHED, Reliability.WITHHELD).is_published
    assert not change(Reliability.SUPPRESSED, Reliability.PUBLISHED).is_published

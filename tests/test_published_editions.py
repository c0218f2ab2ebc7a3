"""An edition collected elsewhere, imported from its published table and estimated by
post-stratification on the strata it has (the 2023 RGPD question of the Observatoire's table)."""

import math
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy import stats

from editions.estimates import published_estimates, weighted_total_as_in_2023
from editions.importer import ImportRefused, import_published
from editions.models import NationalCount, PublishedCount, PublishedPercentage, PublishedTotal
from results.models import Reliability
from results.weighting import EmptyStratum
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "data" / "all_statistics_2023_sample.csv"
NATIONAL = ROOT / "data" / "national-counts-2023.csv"
PUBLISHED = ROOT / "data" / "published-2023.csv"
HEADER = (
    "Question,Structure,Réponses,Occurrences,Nombre de réponses,Effectifs par structure,"
    "Pourcentage\n"
)
RGPD = (
    '"Afin de respecter le RGPD, avez-vous modifié des processus de gestion des données au sein '
    "de l'organisation ?\""
)


@pytest.fixture
def edition_2023():
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    return Edition.objects.get(year=2023)


@pytest.fixture
def imported(edition_2023):
    import_published(edition_2023, read(TABLE), read(NATIONAL))
    return edition_2023.questions.get(code="rgpd_processus")


def read(path):
    return path.read_text(encoding="utf-8")


def test_the_published_2023_table_is_stored_per_stratum_and_option_without_derived_rows(imported):
    # 9 strata (8 of the list and « Autre ») × 4 options and « Sans réponse ».
    assert PublishedCount.objects.count() == 45
    cell = PublishedCount.objects.get(stratum="autre", choice_code="oui")
    assert (cell.occurrences, cell.answered, cell.respondents) == (43, 71, 75)
    assert PublishedCount.objects.get(stratum="region", choice_code="").occurrences == 0
    assert NationalCount.objects.get(stratum="commune-lt3500").collectivite_count == 31762
    assert sum(NationalCount.objects.values_list("collectivite_count", flat=True)) == 36318


def test_the_import_reproduces_the_published_weighted_total_of_2023(imported):
    """2023's « Total pondéré »: strata of 3,500 inhabitants or more weighted by N_h, over
    every respondent of the stratum (« Sans réponse » included), published rounded."""
    national = dict(NationalCount.objects.values_list("stratum", "collectivite_count"))
    strata = [s for s in national if s != "commune-lt3500"]
    total = sum(national[s] for s in strata)
    published = {"oui": 43, "nsp": 13, "non_prevu_12_mois": 37, "non_pas_prevu": 6, "": 0}
    for code, percentage in published.items():
        weighted = sum(
            national[c.stratum] / total * c.occurrences / c.respondents
            for c in PublishedCount.objects.filter(stratum__in=strata, choice_code=code)
        )
        assert round(100 * weighted) == percentage
        assert weighted_total_as_in_2023(imported)[code] == pytest.approx(weighted, abs=1e-12)


def test_the_totals_of_2023_are_kept_as_published_and_the_2023_rule_gives_them_back(
    edition_2023,
):
    """Every total row of the shipped 2023 table: « Total » and « Total hors communes < 3500 »
    are raw shares of every respondent (« Autre » and « Sans réponse » included); « Total
    pondéré » is the 2023 rule (communes under 3,500 and « Autre » weigh 0)."""
    call_command("import_published_counts", PUBLISHED, edition=2023, national=NATIONAL, verbosity=0)
    questions = edition_2023.questions.filter(published_counts__isnull=False).distinct()
    assert sorted(q.code for q in questions) == ["rgpd_processus", "usage_ia"]
    checked = 0
    for question in questions:
        stored = {
            (p.total, p.choice_code): p.percentage
            for p in PublishedPercentage.objects.filter(question=question)
        }
        counts = PublishedCount.objects.filter(question=question)
        weighted = weighted_total_as_in_2023(question)
        codes = set(counts.values_list("choice_code", flat=True))
        for code in codes:
            cells = counts.filter(choice_code=code)
            everyone = sum(c.occurrences for c in cells) / sum(c.respondents for c in cells)
            larger = cells.exclude(stratum="commune-lt3500")
            without_small = sum(c.occurrences for c in larger) / sum(c.respondents for c in larger)
            assert stored[PublishedTotal.RAW, code] == round(100 * everyone)
            assert stored[PublishedTotal.WITHOUT_SMALL_COMMUNES, code] == round(100 * without_small)
            assert stored[PublishedTotal.WEIGHTED, code] == round(100 * weighted[code])
            checked += 1
    assert checked == 9  # 5 answers of the RGPD question, 4 of the AI one, « Sans réponse » too
    usage = edition_2023.questions.get(code="usage_ia")
    assert (
        usage.published_percentages.get(total=PublishedTotal.RAW, choice_code="oui").percentage
        == 27
    )
    assert usage.published_percentages.get(total="pondere", choice_code="oui").percentage == 9


def test_a_total_whose_percentage_is_not_one_is_refused_with_its_line(edition_2023):
    lines = read(TABLE).splitlines()
    broken = [
        line.replace(",Total pondéré,Oui,,,,43", ",Total pondéré,Oui,,,,beaucoup") for line in lines
    ]
    with pytest.raises(ImportRefused) as refused:
        import_published(edition_2023, "\n".join(broken), read(NATIONAL))
    (problem,) = refused.value.problems
    assert problem.endswith(" : « Pourcentage » doit être un nombre de 0 à 100 (« beaucoup »).")
    assert not PublishedPercentage.objects.exists()


def test_a_past_estimate_is_post_stratified_with_its_interval_as_computed_by_hand(imported):
    """The published counts go through results' design: p = Σ W_h p_h, the stratified variance
    with the finite-population correction, and Korn and Graubard's interval (df = n − strata)."""
    oui = next(e for e in published_estimates(imported, "3500-plus") if e.choice_code == "oui")
    # (y_h, n_h answered, N_h) per stratum of 3,500 inhabitants or more, from the table.
    strata = [
        (1, 6, 2160),
        (6, 10, 981),
        (4, 5, 42),
        (24, 33, 1233),
        (16, 18, 21),
        (15, 24, 101),
        (9, 10, 18),
    ]
    total, n = 4556, 106
    value = sum(N / total * y / m for y, m, N in strata)
    drawn = sum((N / total) ** 2 * (y / m) * (1 - y / m) / (m - 1) for y, m, N in strata)
    finite = sum(
        (N / total) ** 2 * (1 - m / N) * (y / m) * (1 - y / m) / (m - 1) for y, m, N in strata
    )
    effective = min(value * (1 - value) / drawn, n)
    size = effective * (stats.t.ppf(0.975, n - 1) / stats.t.ppf(0.975, n - 7)) ** 2
    x = value * size
    low = stats.beta.ppf(0.025, x, size - x + 1)
    high = stats.beta.ppf(0.975, x + 1, size - x)
    shrink = math.sqrt(finite / drawn)
    assert oui.value == pytest.approx(value, abs=1e-12)
    assert oui.standard_error == pytest.approx(math.sqrt(finite), abs=1e-12)
    assert oui.effective_n == pytest.approx(effective, abs=1e-9)
    assert oui.ci_low == pytest.approx(value - (value - low) * shrink, abs=1e-9)
    assert oui.ci_high == pytest.approx(value + (high - value) * shrink, abs=1e-9)
    assert (oui.n, oui.base_n) == (75, 106)
    # Near the published 43 %: few « Sans réponse » among the larger collectivités.
    assert round(100 * oui.value) == 43


def test_every_collectivite_counts_with_its_weight_unlike_2023s_weighted_total(imported):
    everyone = {e.choice_code: e for e in published_estimates(imported, "toutes")}
    larger = {e.choice_code: e for e in published_estimates(imported, "3500-plus")}
    # Small communes (31,762 of 36,318) weigh 87 %: 3 « oui » out of 8 answers.
    assert everyone["oui"].value == pytest.approx(
        (31762 * 3 / 8 + 4556 * larger["oui"].value) / 36318, abs=1e-12
    )
    assert sum(e.value for e in everyone.values()) == pytest.approx(1, abs=1e-12)
    assert everyone["oui"].ci_high - everyone["oui"].ci_low > 0.3  # 8 small communes


def test_the_denominator_may_leave_out_dont_know(imported):
    without = {e.choice_code: e for e in published_estimates(imported, "strate:region", ["nsp"])}
    assert set(without) == {"oui", "non_prevu_12_mois", "non_pas_prevu"}
    # 9 « oui » of 9 régions answering, out of 18: the exact bound at n = 9, brought halfway
    # (in variance) towards 1 by the finite-population correction, 1 − 9/18.
    assert without["oui"].value == pytest.approx(9 / 9)
    assert without["oui"].ci_low == pytest.approx(1 - (1 - 0.025 ** (1 / 9)) * math.sqrt(0.5))
    assert without["oui"].ci_high == 1.0


def test_a_stratum_without_respondent_is_an_error_that_names_it(edition_2023, tmp_path):
    rows = [line for line in read(TABLE).splitlines()[1:] if ",Une région," not in line]
    text = HEADER + "\n".join(r for r in rows if "Total" not in r and "Une commune" not in r)
    import_published(edition_2023, text, read(NATIONAL))
    question = edition_2023.questions.get(code="rgpd_processus")
    with pytest.raises(EmptyStratum, match="La strate « Régions » n'a aucun répondant"):
        published_estimates(question, "toutes")


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(imported, edition_2023):
    before = list(PublishedCount.objects.values())
    text = HEADER + "\n".join(
        [
            f"{RGPD},Une région,Oui,neuf,10,10,90",
            f"{RGPD},Une région,Peut-être,1,10,10,10",
            f"{RGPD},Un syndicat,Oui,1,10,10,10",
            f"{RGPD},Une métropole,Oui,19,18,18,89",
            '"Quelle est la couleur du ciel ?",Une région,Bleu,1,1,1,100',
            '"Quelle est la couleur du ciel ?",Une région,Gris,0,1,1,0',
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        import_published(edition_2023, text, read(NATIONAL))
    assert refused.value.problems == [
        "ligne 2 : « Occurrences » doit être un entier positif (« neuf »).",
        "ligne 3 : réponse « Peut-être » inconnue de la question « rgpd_processus ».",
        "ligne 4 : strate « Un syndicat » inconnue.",
        "ligne 5 : un effectif dépasse celui de la strate (18).",
        "ligne 6 (2 ligne(s)) : question inconnue de l'édition 2023 : « Quelle est la couleur du "
        "ciel ? ». Ajoutez-la d'abord à son questionnaire.",
    ]
    assert list(PublishedCount.objects.values()) == before


def test_rows_that_do_not_add_up_are_refused(edition_2023):
    lines = read(TABLE).splitlines()
    # One « oui » fewer for the régions: the stratum and the totals no longer add up.
    broken = [line.replace(",Une région,Oui,9,", ",Une région,Oui,8,") for line in lines]
    with pytest.raises(ImportRefused) as refused:
        import_published(edition_2023, "\n".join(broken), read(NATIONAL))
    problems = refused.value.problems
    assert any(
        p.endswith(
            "(« rgpd_processus », Régions) : les réponses (9) ne font pas le nombre de "
            "réponses (10)."
        )
        for p in problems
    )
    assert any("n'est pas la somme de ses strates (121 ≠ 120)" in p for p in problems)
    assert not PublishedCount.objects.exists()


def test_national_counts_must_name_every_stratum_of_the_list(edition_2023):
    text = "strate,collectivites,source\nregion,18,x\nregion,0,x\nsyndicat,3,x\n"
    with pytest.raises(ImportRefused) as refused:
        import_published(edition_2023, read(TABLE), text)
    assert refused.value.problems == [
        "Effectifs nationaux, ligne 3 : « collectivites » doit être un entier strictement "
        "positif (« 0 »).",
        "Effectifs nationaux, ligne 4 : strate « syndicat » inconnue.",
    ]
    with pytest.raises(ImportRefused, match="strates sans effectif : commune-lt3500"):
        import_published(edition_2023, read(TABLE), "strate,collectivites,source\nregion,18,x\n")


def test_the_import_command_says_what_it_did_or_why_it_did_nothing(edition_2023, capsys):
    with pytest.raises(CommandError, match="Aucune édition 2022"):
        call_command("import_published_counts", TABLE, edition=2022, national=NATIONAL)
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_published_counts", "absent.csv", edition=2023, national=NATIONAL)
    call_command("import_published_counts", TABLE, edition=2023, national=NATIONAL)
    assert "45 case(s) importée(s) pour 2023." in capsys.readouterr().out
    call_command("import_published_counts", TABLE, edition=2023, national=NATIONAL)
    assert PublishedCount.objects.count() == 45


def test_the_2023_ai_question_gives_the_published_9_percent_and_then_the_estimate_for_everyone(
    edition_2023,
):
    call_command(
        "import_published_counts",
        ROOT / "data" / "published-2023.csv",
        edition=2023,
        national=NATIONAL,
    )
    question = edition_2023.questions.get(code="usage_ia")
    national = dict(NationalCount.objects.values_list("stratum", "collectivite_count"))
    strata = [s for s in national if s != "commune-lt3500"]
    total = sum(national[s] for s in strata)
    weighted = sum(
        national[c.stratum] / total * c.occurrences / c.respondents
        for c in PublishedCount.objects.filter(
            question=question, stratum__in=strata, choice_code="oui"
        )
    )
    assert round(100 * weighted) == 9  # the published « Total pondéré »
    everyone = {e.choice_code: e for e in published_estimates(question, "toutes")}
    # None of the 9 small communes that answered had a project, and they weigh 87 %: about 1 %.
    assert 0.01 < everyone["oui"].value < 0.02
    assert everyone["oui"].n == 31 and everyone["oui"].base_n == 111


def test_the_2023_rgpd_question_is_re_estimated_with_the_interval_rule_of_results(imported):
    """The figures of results.estimation, whatever rule it follows. Before it had Korn and
    Graubard's intervals (logit, zero variance for unanimous strata), the same code gave
    38.2 % [14.1 ; 70.1] for « Oui » and 0.8 % [0.3 ; 2.0] for « Non, pas prévu » among every
    collectivité: the 8 small communes that weigh 87 % answered « Non, pas prévu » 0 times, and
    their own exact upper bound is 36.9 %. The values, counts and bases do not move."""
    found = {
        domain: [
            (e.choice_code, e.n, e.base_n, *(round(x, 4) for x in (e.value, e.ci_low, e.ci_high)))
            for e in published_estimates(imported, domain)
        ]
        for domain in ("toutes", "3500-plus")
    }
    assert found == {
        "toutes": [
            ("oui", 78, 114, 0.3824, 0.1024, 0.7377),
            ("non_prevu_12_mois", 17, 114, 0.4841, 0.1635, 0.8150),
            ("non_pas_prevu", 5, 114, 0.0077, 0.0000, 0.3162),
            ("nsp", 14, 114, 0.1258, 0.0048, 0.4965),
        ],
        "3500-plus": [
            ("oui", 75, 106, 0.4339, 0.2581, 0.6229),
            ("non_prevu_12_mois", 13, 106, 0.3734, 0.1791, 0.6033),
            ("non_pas_prevu", 5, 106, 0.0613, 0.0024, 0.2765),
            ("nsp", 13, 106, 0.1313, 0.0187, 0.3855),
        ],
    }
    rare = next(e for e in published_estimates(imported) if e.choice_code == "non_pas_prevu")
    assert rare.ci_high > 0.20
    assert rare.effective_n < 30 and rare.reliability == Reliability.SUPPRESSED

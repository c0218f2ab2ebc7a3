import datetime
import io
import tomllib
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from time_machine import travel

from poll.models import Margin, MarginDimension, Participation, RunStatus, WeightingRun
from poll.weighting import (
    MarginFileError,
    read_margins,
    region_answer_code,
    region_codes,
    replace_margins,
    weigh,
)
from results.weighting import WeightingError
from survey import numbers
from survey.enums import CollectiviteKind, PopulationBand
from survey.questionnaire.models import Edition
from tests.factories import CollectiviteFactory
from tests.helpers.database import built_once
from tests.poll_sample import PAGES, answer_pages, poll_edition

pytestmark = pytest.mark.django_db

TEST_FILE = Path(__file__).resolve().parent.parent / "data" / "poll" / "marges-TEST.csv"
JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)


@pytest.fixture
def edition(time_machine):
    time_machine.move_to(JUNE, tick=False)
    return poll_edition()


def complete(client_factory, pid, **profile):
    client = client_factory()
    client.get("/sondage/", {"pid": pid})
    changes = {"profil": {f"q-profil_{key}": value for key, value in profile.items()}}
    answer_pages(client, list(PAGES), **changes)


def test_the_shipped_margins_file_is_labelled_as_a_test_and_loads(edition):
    text = TEST_FILE.read_text("utf-8")
    margins = read_margins(edition, text)
    assert all("FICHIER DE TEST" in margin.source for margin in margins)
    assert replace_margins(edition, margins) == 10 + 18 + 4


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("age_sexe,age_18_24:autre,5,INSEE,2024", "catégorie inconnue « age_18_24:autre »"),
        ("region,bretagne,-3,INSEE,2024", "nombre entier positif"),
        ("region,bretagne,3,,2024", "la source manque"),
        ("region,bretagne,3,INSEE,24", "quatre chiffres"),
        ("pays,bretagne,3,INSEE,2024", "critère inconnu « pays »"),
        ("region,corse+atlantide,3,INSEE,2024", "catégorie inconnue « atlantide »"),
        ("region,bretagne+corse,3,INSEE,2024", "« bretagne » figure deux fois"),
    ],
)
def test_a_wrong_margin_line_is_named_and_nothing_is_loaded(edition, line, problem):
    text = TEST_FILE.read_text("utf-8") + line + ",oui\n"
    with pytest.raises(MarginFileError) as error:
        read_margins(edition, text)
    assert problem in str(error.value)
    assert not Margin.objects.exists()


def test_a_criterion_missing_a_category_is_refused(edition):
    text = "critere,categorie,effectif,source,annee\nregion,bretagne,3,INSEE,2024\n"
    with pytest.raises(MarginFileError) as error:
        read_margins(edition, text)
    assert "il manque" in str(error.value) and "corse" in str(error.value)


def test_region_and_commune_size_margins_come_from_the_official_list(edition):
    CollectiviteFactory(
        kind=CollectiviteKind.COMMUNE,
        region_code="53",
        population=2000,
        population_band=PopulationBand.UNDER_3500,
    )
    CollectiviteFactory(kind=CollectiviteKind.COMMUNE, region_code="53", population=50000,
                        population_band=PopulationBand.FROM_10000_TO_100000)  # fmt: skip
    call_command("load_poll_margins", "--edition", "2025", "--from-official-list", "2025")
    regions = dict(
        Margin.objects.filter(dimension=MarginDimension.REGION).values_list(
            "category", "population"
        )
    )
    assert regions == {"bretagne": 52000}
    sizes = dict(
        Margin.objects.filter(dimension=MarginDimension.COMMUNE_SIZE).values_list(
            "category", "population"
        )
    )
    assert sizes == {"moins_3500": 2000, "de_10000_a_100000": 50000}
    assert Margin.objects.first().year == 2025


# Eight completes: sex, région, commune size (all 25 to 34), repeated as many times as said.
SAMPLE = [
    ("femme", "bretagne", "moins_3500", 2),
    ("femme", "corse", "plus_100000", 1),
    ("femme", "bretagne", "plus_100000", 1),
    ("homme", "bretagne", "moins_3500", 1),
    ("homme", "corse", "moins_3500", 2),
    ("homme", "corse", "plus_100000", 1),
]
# Three tables with three different totals, as when the régions and sizes come from the
# official list (all ages) and age × sex from another table.
MARGINS = {
    "age_sexe": ({"age_25_34:femme": 520, "age_25_34:homme": 480}, "INSEE, âge et sexe", 2024),
    "region": ({"bretagne": 3_300_000, "corse": 2_700_000}, "Liste officielle", 2025),
    "taille_commune": ({"moins_3500": 2000, "plus_100000": 1500}, "Tailles de test", 2025),
}


def build_sample():
    """The poll loaded, the SAMPLE completes through the pages and the MARGINS (every
    test of the module that uses the sample restores this, written once)."""
    edition = poll_edition()
    for sex, region, size, count in SAMPLE:
        for index in range(count):
            complete(Client, f"{sex}-{region}-{size}-{index}", age="age_25_34",
                     sexe=sex, region=region, taille_commune=size)  # fmt: skip
    for dimension, (populations, source, year) in MARGINS.items():
        for category, population in populations.items():
            Margin.objects.create(edition=edition, dimension=dimension, category=category,
                                  population=population, source=source, year=year)  # fmt: skip
    return edition.pk


@pytest.fixture(scope="module")
def sample_once(django_db_setup, django_db_blocker):
    with travel(JUNE, tick=False):
        return built_once(django_db_blocker, build_sample)


@pytest.fixture
def sample(sample_once, time_machine):
    time_machine.move_to(JUNE, tick=False)
    pk, snapshot = sample_once
    snapshot.restore()
    return Edition.objects.get(pk=pk)


def respondents():
    """{panel id: (age × sex, région, commune size)} of the completes."""
    return {
        participation.panel_id: (
            f"age_25_34:{participation.panel_id.split('-')[0]}",
            participation.panel_id.split("-")[1],
            participation.panel_id.split("-")[2],
        )
        for participation in Participation.objects.all()
    }


def plain_ipf(cells, margins):
    """Post-stratification on the first margin, then IPF in plain Python until it settles."""
    n = len(cells)
    shares = [{k: v / sum(m.values()) for k, v in m.items()} for m in margins]
    counts = [{k: sum(1 for c in cells.values() if c[d] == k) for k in m} for d, m in
              enumerate(margins)]  # fmt: skip
    weights = {pid: n * shares[0][c[0]] / counts[0][c[0]] for pid, c in cells.items()}
    for _ in range(10_000):
        for d in (1, 2, 0):
            sums = {k: sum(weights[p] for p, c in cells.items() if c[d] == k) for k in margins[d]}
            weights = {p: w * n * shares[d][cells[p][d]] / sums[cells[p][d]]
                       for p, w in weights.items()}  # fmt: skip
    return weights


def weighted_shares(weights, cells, dimension):
    total = sum(weights.values())
    shares = {}
    for pid, weight in weights.items():
        key = cells[pid][dimension]
        shares[key] = shares.get(key, 0) + weight / total
    return shares


def test_weights_match_all_three_margins_brought_to_shares_and_agree_with_a_plain_ipf(sample):
    run = weigh(sample)
    weights = dict(Participation.objects.values_list("panel_id", "weight"))
    cells = respondents()
    assert sum(weights.values()) == pytest.approx(8, rel=1e-12)  # they average 1
    for dimension, (populations, _, _) in enumerate(MARGINS.values()):
        total = sum(populations.values())
        expected = {key: value / total for key, value in populations.items()}
        assert weighted_shares(weights, cells, dimension) == pytest.approx(expected, rel=1e-9)
    expected = plain_ipf(cells, [populations for populations, _, _ in MARGINS.values()])
    assert weights == pytest.approx(expected, rel=1e-8)
    assert run.gaps == pytest.approx(dict.fromkeys(MARGINS, 0.0), abs=1e-10)
    assert 0.3 <= run.factor_min <= run.factor_max <= 3.0


def test_each_run_is_recorded_with_its_figures_and_the_margins_and_sources_it_used(sample):
    weigh(sample)
    Margin.objects.filter(category="bretagne").update(population=3_000_000)
    run = weigh(sample)
    assert WeightingRun.objects.count() == 2
    assert WeightingRun.objects.latest() == run
    weights = list(Participation.objects.values_list("weight", flat=True))
    effective = sum(weights) ** 2 / sum(w * w for w in weights)
    assert run.weighted_count == 8
    assert run.effective_n == pytest.approx(effective, rel=1e-12)
    assert run.kish_efficiency == pytest.approx(effective / 8, rel=1e-12)
    assert run.created_by is None and run.passes >= 1
    snapshot = {(m["critere"], m["categorie"]): m for m in run.margins}
    assert len(snapshot) == 6
    assert snapshot["region", "bretagne"]["effectif"] == 3_000_000
    assert snapshot["region", "bretagne"]["cible"] == pytest.approx(1000 * 3 / 5.7)
    assert snapshot["region", "bretagne"]["source"] == "Liste officielle"
    assert snapshot["taille_commune", "moins_3500"]["annee"] == 2025
    assert snapshot["age_sexe", "age_25_34:homme"]["source"] == "INSEE, âge et sexe"
    # The weights are the latest run's: Bretagne now weighs 3 / 5.7 of the total.
    shares = weighted_shares(dict(Participation.objects.values_list("panel_id", "weight")),
                             respondents(), 1)  # fmt: skip
    assert shares["bretagne"] == pytest.approx(3 / 5.7, rel=1e-9)


def test_when_the_bounds_stop_the_raking_the_run_is_refused_with_its_gaps_and_no_weight(sample):
    run = weigh(sample, bounds=(0.95, 1.05))
    assert run.is_refused
    assert not Participation.objects.filter(weight__isnull=False).exists()
    snapshot = {(m["critere"], m["categorie"]): m for m in run.margins}
    # Age × sex is still made exact; the régions are left where the bounds stopped them.
    for key in ("age_25_34:femme", "age_25_34:homme"):
        entry = snapshot["age_sexe", key]
        assert entry["pondere"] == pytest.approx(entry["cible"], rel=1e-12)
    gap = max(snapshot["region", key]["ecart"] for key in ("bretagne", "corse"))
    assert gap > 0.01
    assert run.gaps["region"] == pytest.approx(gap, rel=1e-9)
    assert run.gaps["age_sexe"] < 1e-12
    assert any("n’a pas convergé sur la marge région" in reason for reason in run.refusals)


def test_weigh_poll_prints_the_summary_of_the_run(sample):
    out = io.StringIO()
    call_command("weigh_poll", "--edition", "2025", stdout=out)
    run = WeightingRun.objects.get()
    lines = out.getvalue().splitlines()
    kish = numbers.decimal_number(run.kish_efficiency, 2)
    assert lines[0].startswith(f"8 réponse(s) pondérée(s) ; efficacité de Kish {kish}")
    assert f"{run.passes} passe(s)." in lines[0]
    assert lines[1].startswith("Plus grand écart restant à une marge : âge × sexe 0,0000\u00a0%")
    assert "Marges — région : Liste officielle (2025)" in lines
    assert "Marges — taille de la commune de résidence : Tailles de test (2025)" in lines


def test_the_commune_size_margin_is_required(sample):
    Margin.objects.filter(dimension=MarginDimension.COMMUNE_SIZE).delete()
    with pytest.raises(WeightingError) as error:
        weigh(sample)
    assert "Chargez d’abord les marges" in str(error.value)
    assert "manquantes : taille de la commune de résidence" in str(error.value)
    assert not WeightingRun.objects.exists()


def test_a_margin_category_without_any_complete_is_named(sample):
    Margin.objects.create(edition=sample, dimension="taille_commune", category="de_3500_a_10000",
                          population=900, source="Tailles de test", year=2025)  # fmt: skip
    with pytest.raises(WeightingError) as error:
        weigh(sample)
    assert "Aucune réponse complète dans ces catégories" in str(error.value)
    assert "de_3500_a_10000" in str(error.value)


def test_completes_outside_every_category_of_a_margin_are_counted_and_named(sample):
    # As when the official list gives no population for a size some respondents chose.
    Margin.objects.filter(category="plus_100000").delete()
    Margin.objects.create(edition=sample, dimension="taille_commune", category="de_3500_a_10000",
                          population=1500, source="Tailles de test", year=2025)  # fmt: skip
    with pytest.raises(WeightingError) as error:
        weigh(sample)
    assert "n’ont pas de catégorie dans les marges : taille_commune plus_100000 (3)" in str(
        error.value
    )


def test_a_complete_without_a_commune_size_is_not_guessed(sample):
    participation = Participation.objects.first()
    participation.response.answers.filter(question__code="profil_taille_commune").delete()
    with pytest.raises(WeightingError, match="taille_commune sans réponse \\(1\\)"):
        weigh(sample)
    assert not Participation.objects.filter(weight__isnull=False).exists()


def test_the_commune_size_question_is_required_and_offers_only_the_four_bands(edition):
    question = edition.questions.get(code="profil_taille_commune")
    assert question.required
    assert set(question.choices.values_list("code", flat=True)) == {
        "moins_3500", "de_3500_a_10000", "de_10000_a_100000", "plus_100000"
    }  # fmt: skip


def test_a_margin_category_of_the_test_file_without_any_complete_is_named(edition, client_factory):
    call_command("load_poll_margins", "--edition", "2025", str(TEST_FILE))
    complete(client_factory, "f0", age="age_25_34", sexe="femme", region="bretagne")
    with pytest.raises(WeightingError) as error:
        weigh(edition)
    assert "age_18_24:femme" in str(error.value) and "corse" in str(error.value)
    assert "de_3500_a_10000" in str(error.value)


def test_weighting_without_margins_says_what_to_load(edition):
    with pytest.raises(WeightingError) as error:
        weigh(edition)
    assert "Chargez d’abord les marges" in str(error.value)
    with pytest.raises(CommandError):
        call_command("weigh_poll", "--edition", "2025")


def test_staff_run_the_weighting_from_the_margins_and_read_the_runs(sample, client):
    staff = User.objects.create_superuser("observatoire")
    client.force_login(staff)
    page = client.post(
        reverse("admin:poll_margin_changelist"),
        {"action": "weigh_editions", "_selected_action": [Margin.objects.first().pk]},
        follow=True,
    )
    assert "8 réponse(s) pondérée(s)" in page.content.decode()
    run = WeightingRun.objects.get()
    assert run.created_by == staff
    listing = client.get(reverse("admin:poll_weightingrun_changelist")).content.decode()
    assert "Calculs des poids du sondage" in listing and "observatoire" in listing
    detail = client.get(reverse("admin:poll_weightingrun_change", args=[run.pk])).content.decode()
    assert "Marges utilisées" in detail and "Liste officielle" in detail
    assert "Efficacité de Kish" in detail
    assert client.get(reverse("admin:poll_weightingrun_add")).status_code == 403


def test_a_margins_file_merges_categories_written_a_plus_b(edition):
    lines = TEST_FILE.read_text("utf-8").splitlines()
    kept = [line for line in lines if ",corse," not in line and ",provence_alpes" not in line]
    source = "FICHIER DE TEST : chiffres fictifs à ne jamais utiliser pour des résultats"
    merged = f"region,corse+provence_alpes_cote_d_azur,2000,{source},2000,oui"
    margins = read_margins(edition, "\n".join([*kept, merged]) + "\n")
    (margin,) = [m for m in margins if "+" in m.category]
    assert margin.parts == ["corse", "provence_alpes_cote_d_azur"]
    assert margin.population == 2000 and margin.is_test
    with pytest.raises(MarginFileError) as error:
        read_margins(edition, "\n".join(kept) + "\n")
    assert "il manque corse, provence_alpes_cote_d_azur" in str(error.value)
    assert "« a+b »" in str(error.value)


def test_an_empty_category_is_named_with_the_exact_line_and_option_that_merge_it(sample):
    Margin.objects.create(edition=sample, dimension="region", category="pays_de_la_loire",
                          population=700_000, source="Liste officielle", year=2025)  # fmt: skip
    with pytest.raises(WeightingError) as error:
        weigh(sample)
    message = str(error.value)
    assert "Aucune réponse complète dans ces catégories des marges : pays_de_la_loire." in message
    assert "« region,pays_de_la_loire+bretagne,4000000,Liste officielle,2025 »" in message
    assert "« weigh_poll --edition 2025 --merge region:pays_de_la_loire+bretagne »" in message
    assert not WeightingRun.objects.exists()


def test_the_merged_line_the_message_gives_weighs_and_the_run_records_it(sample):
    # What loading the line « region,pays_de_la_loire+bretagne,4000000,… » leaves.
    Margin.objects.filter(category="bretagne").delete()
    Margin.objects.create(edition=sample, dimension="region",
                          category="pays_de_la_loire+bretagne", population=4_000_000,
                          source="Liste officielle", year=2025)  # fmt: skip
    run = weigh(sample)
    assert run.status == RunStatus.ACCEPTED
    assert run.merged == [{"critere": "region", "categories": ["pays_de_la_loire", "bretagne"],
                           "origine": "fichier de marges"}]  # fmt: skip
    shares = weighted_shares(dict(Participation.objects.values_list("panel_id", "weight")),
                             respondents(), 1)  # fmt: skip
    assert shares["bretagne"] == pytest.approx(4.0 / 6.7, rel=1e-9)


def test_weigh_poll_merges_with_the_option_and_says_so(sample):
    Margin.objects.create(edition=sample, dimension="region", category="pays_de_la_loire",
                          population=700_000, source="Liste officielle", year=2025)  # fmt: skip
    out = io.StringIO()
    call_command("weigh_poll", "--edition", "2025", "--merge",
                 "region:pays_de_la_loire+bretagne", stdout=out)  # fmt: skip
    run = WeightingRun.objects.get()
    assert run.merged[0]["origine"] == "--merge" and not run.is_refused
    assert "Regroupées (--merge) : région pays_de_la_loire + bretagne" in out.getvalue()
    assert Margin.objects.filter(category="pays_de_la_loire").exists()  # the file's are kept
    with pytest.raises(CommandError, match="catégorie"):
        call_command("weigh_poll", "--edition", "2025", "--merge", "region:atlantide+bretagne")


def test_margins_loaded_with_test_are_marked_and_the_run_on_them_says_so(sample, tmp_path):
    Margin.objects.update(is_test=True)
    run = weigh(sample)
    assert run.test_margins and not run.is_refused
    assert "Marges de test" in run.summary()[-1]
    path = tmp_path / "marges.csv"
    path.write_text(TEST_FILE.read_text("utf-8").replace(",test\n", "\n").replace(",oui\n", "\n"))
    call_command("load_poll_margins", "--edition", "2025", str(path), stdout=io.StringIO())
    assert not Margin.objects.filter(is_test=True).exists()
    call_command(
        "load_poll_margins", "--edition", "2025", "--test", str(path), stdout=io.StringIO()
    )
    assert not Margin.objects.filter(is_test=False).exists()


def test_each_region_the_poll_asks_about_has_its_code_from_the_official_list():
    path = Path(__file__).parent.parent / "questionnaires" / "citoyens-2025.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    (question,) = [
        question
        for section in data["sections"]
        for question in section["questions"]
        if question["code"] == "profil_region"
    ]
    codes = region_codes()
    assert [codes[choice["code"]] for choice in question["choices"]] == [
        "84", "27", "53", "24", "94", "44", "32", "11", "28", "75", "76", "52", "93",
        "01", "02", "03", "04", "06",
    ]  # fmt: skip
    assert len(codes) == 18  # the overseas collectivités (975, 988…) are not régions


def test_a_regions_answer_code_is_its_official_name_in_plain_words():
    assert region_answer_code("Provence-Alpes-Côte d'Azur") == "provence_alpes_cote_d_azur"
    assert region_answer_code("Île-de-France") == "ile_de_france"
    assert region_answer_code("La Réunion") == "la_reunion"

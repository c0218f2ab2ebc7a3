import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from poll.models import Margin, MarginDimension, Participation
from poll.weighting import MarginFileError, read_margins, replace_margins, weigh
from results.weighting import WeightingError
from survey.enums import CollectiviteKind, PopulationBand
from tests.factories import CollectiviteFactory
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
    ],
)
def test_a_wrong_margin_line_is_named_and_nothing_is_loaded(edition, line, problem):
    text = TEST_FILE.read_text("utf-8") + line + "\n"
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


def test_weights_bring_the_sample_to_the_age_sex_and_region_margins(edition, client_factory):
    call_command("load_poll_margins", "--edition", "2025", str(TEST_FILE))
    for index in range(3):
        complete(client_factory, f"f{index}", age="age_25_34", sexe="femme", region="bretagne")
    complete(client_factory, "h0", age="age_25_34", sexe="homme", region="corse")
    # Only two cells and two régions answered: margins of those only, the rest left out.
    Margin.objects.exclude(
        category__in=["age_25_34:femme", "age_25_34:homme", "bretagne", "corse"]
    ).filter(dimension__in=["age_sexe", "region"]).delete()
    calibration = weigh(edition)
    weights = dict(Participation.objects.values_list("panel_id", "weight"))
    assert weights["h0"] == pytest.approx(2.0)
    assert weights["f0"] == pytest.approx(2 / 3)
    assert sum(weights.values()) == pytest.approx(4)
    assert calibration.n == 4


def test_a_margin_category_without_any_complete_is_named(edition, client_factory):
    call_command("load_poll_margins", "--edition", "2025", str(TEST_FILE))
    complete(client_factory, "f0", age="age_25_34", sexe="femme", region="bretagne")
    with pytest.raises(WeightingError) as error:
        weigh(edition)
    assert "age_18_24:femme" in str(error.value) and "corse" in str(error.value)


def test_weighting_without_margins_says_what_to_load(edition):
    with pytest.raises(WeightingError) as error:
        weigh(edition)
    assert "Chargez d’abord les marges" in str(error.value)
    with pytest.raises(CommandError):
        call_command("weigh_poll", "--edition", "2025")

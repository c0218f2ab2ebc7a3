"""The shared fixture of the configuration that ships (tests/shipped.py) is what `make run`
loads: every questionnaire of the Makefile, the 2023 published table, the official list."""

import gzip

import pytest

from editions.models import NationalCount, PublishedCount
from survey.collectivites.models import Collectivite
from survey.questionnaire.models import Edition, Survey
from tests.shipped import ROOT, load_commands

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def test_the_fixture_runs_the_makefile_s_load_commands_in_their_order():
    commands = [command[0] for command in load_commands()]
    assert commands == ["load_questionnaire", "import_published_counts", "load_collectivites"]
    questionnaires = [path.rsplit("/", 1)[1] for path in load_commands()[0][1:]]
    assert questionnaires == ["2023.toml", "2025.toml", "citoyens-2025.toml"]


def test_both_surveys_have_an_edition_of_2025_and_the_barometer_one_of_2023():
    editions = sorted(Edition.objects.values_list("survey__code", "year"))
    assert editions == [
        ("barometre-ia-collectivites", 2023),
        ("barometre-ia-collectivites", 2025),
        ("sondage-citoyens", 2025),
    ]
    assert Survey.objects.count() == 2


def test_2023_is_known_by_its_published_table():
    # `import_published_counts` reports 81 cells for this file (its totals are not cells).
    assert PublishedCount.objects.filter(question__edition__year=2023).count() == 81
    assert NationalCount.objects.filter(edition__year=2023).count() == 8


def test_the_official_list_is_loaded_whole():
    source = next((ROOT / "data").glob("collectivites-*.csv*"))
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as rows:
        lines = sum(1 for _ in rows) - 1
    assert Collectivite.objects.count() == lines > 36_000


def test_a_row_created_in_a_test_gets_a_key_of_its_own():
    """Restored rows keep their keys; the sequences were moved past them."""
    survey = Survey.objects.create(code="autre-enquete", title="Autre", audience="citoyens")
    assert survey.pk > max(Survey.objects.exclude(pk=survey.pk).values_list("pk", flat=True))

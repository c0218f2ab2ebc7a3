"""The frame of an edition: the official list of collectivités frozen into strata."""

import csv
import datetime
import gzip
import io
import time
from collections import Counter
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from results.models import Frame, FrameCell, FrameError, FrameMember, Stratum
from survey.collectivites.search import load_collectivites
from survey.models import Collectivite
from tests.factories import CollectiviteFactory, EditionFactory

DATA_FILE = Path(__file__).parent.parent / "data" / "collectivites-2025.csv.gz"
SAMPLE = Path(__file__).parent / "data" / "collectivites-sample.csv"

pytestmark = pytest.mark.django_db


def expected_stratum(row):
    """The stratum of a CSV row, written out again from the issue's typology."""
    population = int(row["population"])
    if row["kind"] == "commune":
        if population < 3500:
            return "commune-lt3500"
        if population < 10000:
            return "commune-3500-10000"
        if population <= 100000:
            return "commune-10000-100000"
        return "commune-gt100000"
    if row["kind"] == "epci":
        nature = row["epci_nature"]
        return "epci-metropole" if nature in {"METRO", "MET69"} else f"epci-{nature.lower()}"
    return {
        "departement": "departement",
        "region": "region",
        "statut_particulier": "statut-particulier",
    }[row["kind"]]


def independent_counts():
    counts, populations = Counter(), Counter()
    cell_counts, cell_populations = Counter(), Counter()
    with gzip.open(DATA_FILE, "rt", encoding="utf-8", newline="") as data:
        for row in csv.DictReader(data):
            stratum = expected_stratum(row)
            counts[stratum] += 1
            populations[stratum] += int(row["population"])
            cell_counts[stratum, row["region_code"]] += 1
            cell_populations[stratum, row["region_code"]] += int(row["population"])
    return counts, populations, cell_counts, cell_populations


def edition_opening_in(year=2025, days=30):
    return EditionFactory(
        year=year,
        opens_at=timezone.now() + datetime.timedelta(days=days),
        closes_at=timezone.now() + datetime.timedelta(days=days + 60),
    )


def test_the_frame_of_the_real_list_matches_an_independent_count_of_the_data_file(capsys):
    call_command("load_collectivites")
    edition = edition_opening_in()
    started = time.perf_counter()
    call_command("freeze_frame", "--edition", "2025")
    elapsed = time.perf_counter() - started
    output = capsys.readouterr().out
    assert "Base de sondage 2025 figée : 36\u202f336 collectivités" in output
    print(f"\nfreeze_frame on the 2025 list: {elapsed:.2f} s")

    counts, populations, cell_counts, cell_populations = independent_counts()
    frame = Frame.objects.get(edition=edition)
    assert frame.collectivite_count == sum(counts.values()) == 36_336
    assert frame.population == sum(populations.values())
    assert FrameMember.objects.filter(frame=frame).count() == 36_336
    strata = {s.code: (s.collectivite_count, s.population) for s in frame.strata.all()}
    assert strata == {code: (counts[code], populations[code]) for code in Stratum}
    assert strata["epci-metropole"][0] == 22  # 21 METRO and the Métropole de Lyon
    assert sum(strata[c][0] for c in strata if c.startswith("commune-")) == 34_969
    cells = {
        (cell.stratum.code, cell.region_code): (cell.collectivite_count, cell.population)
        for cell in FrameCell.objects.filter(stratum__frame=frame).select_related("stratum")
    }
    assert cells == {key: (cell_counts[key], cell_populations[key]) for key in cell_counts}


def freeze_sample(edition):
    load_collectivites(SAMPLE)
    return Frame.freeze(edition)


def test_later_changes_to_the_list_do_not_change_a_frozen_frame():
    edition = edition_opening_in()
    frame = freeze_sample(edition)
    before = {s.code: (s.collectivite_count, s.population) for s in frame.strata.all()}
    members_before = set(
        FrameMember.objects.filter(frame=frame).values_list(
            "collectivite_id", "stratum__code", "region_code", "departement_code", "population"
        )
    )
    small = Collectivite.objects.filter(kind="commune", population__lt=3500).first()
    small.population = 250_000
    small.region_code = "11"
    small.save()
    CollectiviteFactory(name="Commune nouvelle", population=4000)

    frame.refresh_from_db()
    after = {s.code: (s.collectivite_count, s.population) for s in frame.strata.all()}
    assert after == before
    assert (
        set(
            FrameMember.objects.filter(frame=frame).values_list(
                "collectivite_id",
                "stratum__code",
                "region_code",
                "departement_code",
                "population",
            )
        )
        == members_before
    )


def test_freeze_frame_refuses_to_overwrite_a_frozen_frame_without_force():
    edition = edition_opening_in()
    frame = freeze_sample(edition)
    with pytest.raises(CommandError, match="déjà figée"):
        call_command("freeze_frame", "--edition", "2025")
    assert Frame.objects.get(edition=edition).pk == frame.pk


def test_force_refreezes_the_frame_before_the_edition_opens_only():
    edition = edition_opening_in(days=10)
    freeze_sample(edition)
    CollectiviteFactory(name="Commune nouvelle", population=4000)
    call_command("freeze_frame", "--edition", "2025", "--force", stdout=io.StringIO())
    refrozen = Frame.objects.get(edition=edition)
    assert refrozen.members.filter(collectivite__name="Commune nouvelle").exists()

    with (
        time_machine.travel(edition.opens_at + datetime.timedelta(hours=1)),
        pytest.raises(CommandError, match="ne peut plus être refigée"),
    ):
        call_command("freeze_frame", "--edition", "2025", "--force")
    assert Frame.objects.get(edition=edition).pk == refrozen.pk


def test_freeze_frame_names_an_unknown_edition_and_an_empty_list_in_french():
    with pytest.raises(CommandError, match="Aucune édition 2031"):
        call_command("freeze_frame", "--edition", "2031")
    edition = edition_opening_in()
    with pytest.raises(FrameError, match="liste officielle des collectivités est vide"):
        Frame.freeze(edition)
    assert not Frame.objects.exists()


def test_the_frame_freezes_itself_on_first_use_once_the_edition_has_opened():
    edition = edition_opening_in(days=5)
    load_collectivites(SAMPLE)
    assert Frame.objects.for_edition(edition) is None
    with time_machine.travel(edition.opens_at + datetime.timedelta(minutes=1)):
        frame = Frame.objects.for_edition(edition)
        assert frame.frozen_at >= edition.opens_at
    CollectiviteFactory(name="Commune nouvelle", population=4000)
    assert Frame.objects.for_edition(edition).collectivite_count == frame.collectivite_count


def test_staff_can_refreeze_a_frame_from_the_admin_before_the_edition_opens(client):
    edition = edition_opening_in()
    frame = freeze_sample(edition)
    CollectiviteFactory(name="Commune nouvelle", population=4000)
    client.force_login(User.objects.create_superuser("admin"))
    changelist = reverse("admin:results_frame_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:results_frame_change", args=[frame.pk])).status_code == 200
    response = client.post(
        changelist, {"action": "refreeze", "_selected_action": [frame.pk]}, follow=True
    )
    assert "Base de sondage 2025 refigée." in response.content.decode()
    assert Frame.objects.get(edition=edition).collectivite_count == frame.collectivite_count + 1

"""The poll's answers in the responses' exports: one institute id column, the outcome, the
quality flags, the exclusion and the weight; no collectivité; no panel id in open data."""

import csv
import datetime
import io
import zipfile

import frictionless
import pytest
from django.core.management import CommandError, call_command

from poll.models import Flag, Participation
from survey.exports.formats import render
from survey.exports.options import ExportOptions
from tests.poll_sample import PAGES, answer_pages, poll_edition

pytestmark = pytest.mark.django_db

JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)
POLL_COLUMNS = ["id_institut", "issue", "signalements", "exclue", "poids"]


@pytest.fixture
def edition(time_machine):
    time_machine.move_to(JUNE, tick=False)
    return poll_edition(min_seconds=0)


def sitting(client_factory, pid, pages, **changes):
    client = client_factory()
    client.get("/sondage/", {"pid": pid})
    answer_pages(client, pages, **changes)
    return Participation.objects.get(panel_id=pid)


@pytest.fixture
def sittings(client_factory, edition):
    careful = sitting(client_factory, "careful-1", list(PAGES))
    inattentive = sitting(
        client_factory,
        "inattentive-2",
        list(PAGES),
        inquietudes={"q-risques-controle_attention": "tres_preoccupant"},
    )
    Participation.objects.filter(pk=inattentive.pk).update(excluded=True)
    Participation.objects.filter(pk=careful.pk).update(weight=1.25)
    minor = sitting(client_factory, "minor-3", ["profil"], profil={"q-profil_age": "moins_18"})
    return careful, inattentive, minor


def wide(edition, **options):
    data = b"".join(render("csv", edition, ExportOptions(status="all", **options)))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_poll_export_carries_the_institute_id_outcome_flags_exclusion_and_weight(
    edition, sittings
):
    rows = wide(edition)
    assert list(rows[0])[-5:] == POLL_COLUMNS
    by_pid = {row["id_institut"]: row for row in rows}
    assert [
        (pid, row["issue"], row["signalements"], row["exclue"], row["poids"])
        for pid, row in sorted(by_pid.items())
    ] == [
        ("careful-1", "complete", "", "False", "1.25"),
        ("inattentive-2", "complete", Flag.ATTENTION, "True", ""),
        ("minor-3", "screenout", "", "False", ""),
    ]
    assert by_pid["careful-1"]["profil_age"] == "age_25_34"


def test_the_poll_export_names_no_collectivite(edition, sittings):
    header = list(wide(edition)[0])
    assert not [name for name in header if "collectivite" in name or "structure" in name]


def test_labels_spell_out_the_outcome_and_the_flags(edition, sittings):
    by_pid = {row["id_institut"]: row for row in wide(edition, labels=True)}
    assert by_pid["inattentive-2"]["issue"] == "Complet"
    assert by_pid["inattentive-2"]["signalements"] == "Contrôle d'attention manqué"
    assert by_pid["minor-3"]["issue"] == "Hors cible"


def test_the_open_data_set_has_no_panel_id_and_validates(edition, sittings, tmp_path):
    data = b"".join(render("datapackage", edition, ExportOptions(status="all")))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
        everything = b"".join(archive.read(name) for name in archive.namelist())
    for pid in ["careful-1", "inattentive-2", "minor-3"]:
        assert pid.encode() not in everything
    header = next(csv.reader(io.StringIO((tmp_path / "reponses.csv").read_text("utf-8"))))
    assert header[-4:] == POLL_COLUMNS[1:]
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_export_command_takes_the_polls_survey_code(edition, sittings, tmp_path):
    output = tmp_path / "sondage.csv"
    call_command(
        "export_responses", "--survey", "sondage-citoyens", "--edition", "2025",
        "--status", "all", "--output", str(output),
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8"))))
    assert sorted(row["id_institut"] for row in rows) == ["careful-1", "inattentive-2", "minor-3"]
    with pytest.raises(CommandError, match="Pas d'édition 2024"):
        call_command("export_responses", "--survey", "sondage-citoyens", "--edition", "2024",
                     "--output", str(output))  # fmt: skip

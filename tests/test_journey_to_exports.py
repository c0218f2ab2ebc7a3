"""Answers typed in the questionnaire's pages come out exactly in every export format."""

import csv
import io
import json
import zipfile

import frictionless
import openpyxl
import pytest

from survey.exports.formats import render
from survey.exports.options import ExportOptions

pytestmark = pytest.mark.django_db


def export(edition, format_key, **options):
    return b"".join(render(format_key, edition, ExportOptions(**options)))


EXPECTED_CODES = {
    "collectivite_siren": "216901231",
    "collectivite_nom": "Lyon",
    "collectivite_strate": "gt100000",
    "usage_ia": "oui",
    "usage_domaines__eau": "1",
    "usage_domaines__mobilite": "0",
    "usage_domaines__autre": "1",
    "usage_domaines__autre_texte": "Gestion des cimetières",
    "usage_stade": "avance",
    "usage_impacts__agents": "positif",
    "usage_impacts__usagers": "nsp",
    "orga_agents": "1250",
    "orga_budget": "3.5",
    "orga_charte": "oui",
    "orga_commentaire": "'@SOMME(A1) à éviter",
    "orga_fonction": "elu",
}


def test_the_wide_csv_has_every_answer_typed_in_the_pages(journey_response):
    edition, response = journey_response
    rows = list(csv.DictReader(io.StringIO(export(edition, "csv").decode())))
    assert len(rows) == 1 and rows[0]["identifiant"] == response.public_id
    assert {key: rows[0][key] for key in EXPECTED_CODES} == EXPECTED_CODES


def test_labels_on_request_match_what_the_respondent_saw(journey_response):
    edition, _ = journey_response
    data = export(edition, "csv", labels=True, delimiter=";", bom=True).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert row["usage_ia"] == "Oui"
    assert row["usage_stade"] == "Avance"
    assert row["usage_impacts__usagers"] == "Je ne sais pas"


def test_the_long_csv_has_a_row_per_choice_and_line(journey_response):
    edition, _ = journey_response
    rows = list(csv.DictReader(io.StringIO(export(edition, "long-csv").decode())))
    chosen = {(r["question"], r["valeur"]) for r in rows if r["question"] == "usage_domaines"}
    assert chosen == {("usage_domaines", "eau"), ("usage_domaines", "autre")}
    lines = {r["ligne"]: r["valeur"] for r in rows if r["question"] == "usage_impacts"}
    assert lines == {"agents": "positif", "usagers": "nsp"}


def test_the_json_export_has_codes_and_labels_by_section(journey_response):
    edition, _ = journey_response
    (item,) = json.loads(export(edition, "json"))
    text = json.dumps(item, ensure_ascii=False)
    for fragment in ("Gestion des cimetières", '"avance"', "Je ne sais pas", "@SOMME(A1)"):
        assert fragment in text


def test_the_xlsx_export_has_the_same_cells(journey_response, tmp_path):
    edition, _ = journey_response
    path = tmp_path / "export.xlsx"
    path.write_bytes(export(edition, "xlsx"))
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)][:2]
    # Empty cells are not written: the weight columns close the row, empty before any results.
    cells = dict(zip(header, row + [None] * (len(header) - len(row)), strict=True))
    assert cells["usage_domaines__autre_texte"] == "Gestion des cimetières"
    assert cells["orga_commentaire"] == "'@SOMME(A1) à éviter"
    assert cells["orga_agents"] == 1250


def test_the_open_data_package_of_a_journey_validates_and_hides_private_answers(
    journey_response, tmp_path
):
    edition, _ = journey_response
    with zipfile.ZipFile(io.BytesIO(export(edition, "datapackage"))) as archive:
        archive.extractall(tmp_path)
    descriptor = next(tmp_path.rglob("datapackage.json"))
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    data = "".join(p.read_text() for p in tmp_path.rglob("*.csv"))
    assert "orga_fonction" not in data and "Gestion des cimetières" not in data

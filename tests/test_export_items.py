"""A repeated group in every export format: its items, one row or object each."""

import io
import json
from pathlib import Path

import frictionless
import openpyxl
import pytest

from survey.enums import QuestionKind
from survey.exports.formats import EXPORTERS
from survey.exports.rows import NOT_ASKED
from tests.factories import CollectiviteFactory, QuestionFactory, ResponseFactory
from tests.helpers.exports import by_id, csv_rows, export, unpack
from tests.helpers.questionnaires import PROJECTS
from tests.sample import answer, make_questionnaire, submitted

pytestmark = pytest.mark.django_db

PROJECTS_WITH_TEXT = {
    **PROJECTS,
    "questions": [
        *PROJECTS["questions"],
        {"code": "description", "kind": "long_text", "text": "Description courte"},
    ],
}


@pytest.fixture
def edition():
    edition = make_questionnaire()
    usage = edition.questions.get(code="usage_ia")
    QuestionFactory(
        section=usage.section, position=50, code="projets", kind=QuestionKind.GROUP,
        text="Vos projets", group=PROJECTS_WITH_TEXT, condition_question=usage,
        condition_codes=["oui"],
    )  # fmt: skip
    return edition


@pytest.fixture
def lyon(edition):
    response = submitted(edition, collectivite=CollectiviteFactory(name="Lyon"))
    answer(response, "usage_ia", "oui")
    answer(
        response,
        "projets",
        [
            {"nom": "Chatbot", "stade": "production", "agents": "12", "generative": "oui",
             "description": "Répond aux usagers"},
            {"nom": "=Tri", "stade": "idee"},
        ],
    )  # fmt: skip
    return response


@pytest.fixture
def unasked(edition):
    """Said no after describing a project: the stored project is not asked, so not exported."""
    response = ResponseFactory(edition=edition, collectivite=CollectiviteFactory())
    answer(response, "projets", [{"nom": "Ancien"}])
    answer(response, "usage_ia", "non")
    return response


def test_the_wide_csv_counts_the_items_and_the_items_csv_holds_each_one(edition, lyon, unasked):
    wide = by_id(csv_rows(export("csv", edition, status="all")))
    assert wide[lyon.public_id]["projets__nombre"] == "2"
    assert wide[unasked.public_id]["projets__nombre"] == NOT_ASKED
    items = csv_rows(export("items-csv", edition, status="all", free_text=True))
    assert [(row["identifiant"], row["numero"], row["projets__nom"]) for row in items] == [
        (lyon.public_id, "1", "Chatbot"),
        (lyon.public_id, "2", "'=Tri"),
    ]
    assert items[0]["projets__stade"] == "production"
    assert items[0]["projets__generative"] == "oui"
    assert items[0]["projets__agents"] == "12"
    assert items[0]["projets__description"] == "Répond aux usagers"
    assert items[1]["projets__agents"] == ""


def test_free_text_sub_questions_follow_the_free_text_rule_of_open_data(edition, lyon, tmp_path):
    unpack(export("datapackage", edition, status="all"), tmp_path)
    (first, _) = csv_rows((tmp_path / "projets.csv").read_bytes())
    assert "projets__description" not in first and "projets__nom" not in first
    assert first["projets__stade"] == "production"
    unpack(export("datapackage", edition, status="all", free_text=True), tmp_path)
    (first, _) = csv_rows((tmp_path / "projets.csv").read_bytes())
    assert first["projets__description"] == "Répond aux usagers"


def test_the_long_csv_has_a_row_per_item_and_sub_answer(edition, lyon):
    rows = [
        row
        for row in csv_rows(export("long-csv", edition, status="all", free_text=True))
        if row["question"] == "projets"
    ]
    lines = {row["ligne"]: row["valeur"] for row in rows}
    assert lines["1.nom"] == "Chatbot" and lines["2.nom"] == "'=Tri"
    assert lines["1.stade"] == "production" and lines["2.stade"] == "idee"
    assert lines["1.description"] == "Répond aux usagers"


def test_the_json_has_an_object_per_item(edition, lyon):
    (obj,) = json.loads(export("json", edition, status="all", free_text=True))
    entry = next(value for section in obj["reponses"].values() for code, value in
                 section.items() if code == "projets")  # fmt: skip
    assert entry["nombre"] == 2
    first, second = entry["elements"]
    assert first["numero"] == 1 and first["nom"]["valeur"] == "Chatbot"
    assert first["stade"]["valeur"] == "production" and first["stade"]["libelle"] == "En production"
    assert second["agents"] == {"etat": "sans_reponse"}


def test_the_xlsx_has_a_sheet_of_projects_and_the_codebook_describes_it(edition, lyon, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(export("xlsx", edition, status="all"))
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Réponses", "Projets décrits un par un", "Dictionnaire"]
    rows = list(workbook["Projets décrits un par un"].values)
    assert rows[0][:4] == ("identifiant", "groupe", "numero", "projets__nom")
    assert [row[2:4] for row in rows[1:]] == [(1, "Chatbot"), (2, "'=Tri")]
    codebook = [row[0] for row in workbook["Dictionnaire"].values]
    assert "Table « projets » : projets décrits un par un, une ligne par élément" in codebook
    assert "projets__stade" in codebook


def test_the_open_data_package_has_the_projects_as_a_resource_keyed_to_the_responses(
    edition, lyon, unasked, tmp_path
):
    descriptor = unpack(export("datapackage", edition, status="all"), tmp_path)
    resource = descriptor["resources"][1]
    assert resource["name"] == "projets" and resource["path"] == "projets.csv"
    assert resource["schema"]["foreignKeys"][0]["reference"]["resource"] == "reponses"
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = csv_rows((tmp_path / "projets.csv").read_bytes())
    assert [row["numero"] for row in rows] == ["1", "2"]


def test_a_project_keyed_to_a_missing_response_fails_the_package_validation(
    edition, lyon, tmp_path
):
    unpack(export("datapackage", edition, status="all"), tmp_path)
    table = tmp_path / "projets.csv"
    table.write_text(table.read_text().replace(lyon.public_id, "inconnu"))
    assert not frictionless.validate(tmp_path / "datapackage.json").valid


def test_the_round_trip_keeps_every_item_in_every_format(edition, lyon, tmp_path):
    items = csv_rows(export("items-csv", edition, status="all"))
    long_names = [
        row["valeur"]
        for row in csv_rows(export("long-csv", edition, status="all"))
        if row["ligne"] and row["ligne"].endswith(".nom")
    ]
    (obj,) = json.loads(export("json", edition, status="all"))
    json_names = [
        item["nom"]["valeur"]
        for section in obj["reponses"].values()
        for code, entry in section.items()
        if code == "projets"
        for item in entry["elements"]
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(export("xlsx", edition, status="all")))
    xlsx_names = [row[3] for row in list(workbook.worksheets[1].values)[1:]]
    expected = ["Chatbot", "'=Tri"]
    assert [row["projets__nom"] for row in items] == long_names == xlsx_names == expected
    assert json_names == ["Chatbot", "=Tri"]  # JSON is not opened by a spreadsheet


def test_the_exports_doc_describes_what_each_format_holds_of_a_repeated_group(
    edition, lyon, tmp_path
):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "exports.md").read_text()
    section = doc.split("## Les groupes répétés", 1)[1].split("\n## ", 1)[0]
    path = tmp_path / "export.xlsx"
    path.write_bytes(export("xlsx", edition, status="all"))
    sheet = openpyxl.load_workbook(path).sheetnames[1]
    descriptor = unpack(export("datapackage", edition, status="all"), tmp_path)
    long_lines = {
        row["ligne"]
        for row in csv_rows(export("long-csv", edition, status="all"))
        if row["question"] == "projets"
    }
    assert "items-csv" in EXPORTERS and "**`items-csv`**" in section
    assert (
        "projets__nombre" in by_id(csv_rows(export("csv", edition, status="all")))[lyon.public_id]
        and "`CODE__nombre`" in section
    )
    assert f"« {sheet} »" in section
    assert descriptor["resources"][1]["name"] == "projets" and "ressource `projets`" in section
    assert "2.stade" in long_lines and "« N.SOUS »" in section

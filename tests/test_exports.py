import datetime
import json

import frictionless
import openpyxl
import pytest
from django.utils import timezone

from survey.collection.models import Answer, Respondent
from survey.enums import QuestionKind
from survey.exports.csv import neutralise
from survey.exports.rows import NOT_ASKED
from survey.questionnaire.models import Choice, Question
from survey.typography import typeset
from tests.factories import CollectiviteFactory, QuestionFactory, ResponseFactory
from tests.helpers.exports import by_id, csv_rows, export, unpack
from tests.sample import answer, make_questionnaire, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    return make_questionnaire()


@pytest.fixture
def full(edition):
    """A submitted response answering everything, with tricky texts."""
    response = submitted(
        edition,
        collectivite=CollectiviteFactory(name="Lyon", siren="216901231", insee_code="69123"),
    )
    answer(response, "usage_ia", "oui")
    answer(response, "usage_domaines", {"choices": ["mobilite", "autre"], "other": "=HYPERLINK(1)"})
    answer(response, "usage_stade", "avance")
    answer(response, "usage_impacts", {"agents": "positif", "usagers": "nsp"})
    answer(response, "orga_agents", "1 200")
    answer(response, "orga_budget", "12,50")
    answer(response, "orga_charte", "non")
    answer(response, "orga_commentaire", "Très bien ; « merci »\nDeuxième ligne")
    answer(response, "orga_fonction", "dsi")
    return response


@pytest.fixture
def draft(edition):
    """A draft that said no, after having ticked domains: the hidden answer stays stored."""
    response = ResponseFactory(edition=edition, collectivite=CollectiviteFactory(), progress=40)
    answer(response, "usage_domaines", ["eau"])
    answer(response, "usage_ia", "non")
    answer(response, "usage_impacts", {"agents": "negatif"})
    return response


# -- Round trip -------------------------------------------------------------------------


def test_wide_csv_holds_every_answer_with_its_code(full, draft, edition):
    rows = by_id(csv_rows(export("csv", edition, status="all")))
    row = rows[full.public_id]
    assert row["statut"] == "submitted"
    assert row["collectivite_siren"] == "216901231"
    assert row["collectivite_code_insee"] == "69123"
    assert row["collectivite_nom"] == "Lyon"
    assert row["collectivite_type"] == "commune"
    assert row["collectivite_strate"] == "3500-10000"
    assert row["departement"] == "69" and row["region"] == "84"
    assert row["usage_ia"] == "oui"
    assert row["usage_domaines__mobilite"] == "1"
    assert row["usage_domaines__eau"] == "0"
    assert row["usage_domaines__autre"] == "1"
    assert row["usage_domaines__nsp"] == "0"
    assert row["usage_domaines__autre_texte"] == "'=HYPERLINK(1)"
    assert row["usage_stade"] == "avance"
    assert row["usage_impacts__agents"] == "positif"
    assert row["usage_impacts__usagers"] == "nsp"
    assert row["orga_agents"] == "1200"
    assert row["orga_budget"] == "12.50"
    assert row["orga_charte"] == "non"
    assert row["orga_commentaire"] == "Très bien ; « merci »\nDeuxième ligne"
    assert row["orga_fonction"] == "dsi"
    assert datetime.datetime.fromisoformat(row["envoyee_le"]) == full.submitted_at.replace(
        microsecond=0
    )


def test_wide_csv_tells_not_asked_from_not_answered(full, draft, edition):
    row = by_id(csv_rows(export("csv", edition, status="all")))[draft.public_id]
    assert row["statut"] == "draft" and row["envoyee_le"] == ""
    assert row["usage_ia"] == "non"
    # The stored answer to a question whose condition is now false is not asked, not "eau".
    for choice in ("mobilite", "eau", "autre", "nsp", "autre_texte"):
        assert row[f"usage_domaines__{choice}"] == NOT_ASKED
    assert row["usage_stade"] == ""
    assert row["usage_impacts__agents"] == "negatif"
    assert row["usage_impacts__usagers"] == ""
    assert row["orga_agents"] == ""
    assert Answer.objects.filter(response=draft, question__code="usage_domaines").exists()


def test_the_other_text_column_is_not_asked_when_other_was_not_chosen(edition):
    response = submitted(edition)
    answer(response, "usage_ia", "oui")
    answer(response, "usage_domaines", ["nsp"])
    row = csv_rows(export("csv", edition))[0]
    assert row["usage_domaines__nsp"] == "1"
    assert row["usage_domaines__autre_texte"] == NOT_ASKED


def test_wide_csv_gives_labels_on_request_with_semicolons_and_a_bom(full, edition):
    data = export("csv", edition, labels=True, delimiter=";", bom=True)
    assert data.startswith("\ufeff".encode())
    row = csv_rows(data, delimiter=";")[0]
    assert row["statut"] == "Envoyée"
    assert row["collectivite_type"] == "Commune"
    assert row["collectivite_strate"] == "De 3 500 à 10 000 habitants"
    assert row["usage_ia"] == "Oui"
    assert row["usage_stade"] == "Avance"
    assert row["usage_impacts__usagers"] == "Je ne sais pas"
    assert row["usage_domaines__mobilite"] == "1"
    assert row["orga_charte"] == "Non"


def test_long_csv_has_a_row_per_question_and_chosen_choice_or_line(full, draft, edition):
    rows = csv_rows(export("long-csv", edition, status="all"))
    mine = [row for row in rows if row["identifiant"] == full.public_id]
    domains = [row for row in mine if row["question"] == "usage_domaines"]
    assert [(row["valeur"], row["precision"]) for row in domains] == [
        ("mobilite", ""),
        ("autre", "'=HYPERLINK(1)"),
    ]
    impacts = {row["ligne"]: row["valeur"] for row in mine if row["question"] == "usage_impacts"}
    assert impacts == {"agents": "positif", "usagers": "nsp"}
    assert {row["section"] for row in mine} == {"usages", "organisation"}
    budget = next(row for row in mine if row["question"] == "orga_budget")
    assert (budget["etat"], budget["valeur"]) == ("repondue", "12.50")
    theirs = {
        (row["question"], row["ligne"]): row["etat"]
        for row in rows
        if row["identifiant"] == draft.public_id
    }
    assert theirs[("usage_domaines", "")] == "non_posee"
    assert theirs[("usage_stade", "")] == "sans_reponse"
    assert theirs[("usage_impacts", "usagers")] == "sans_reponse"
    assert theirs[("usage_impacts", "agents")] == "repondue"


def test_xlsx_has_the_answers_and_a_codebook(full, edition, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(export("xlsx", edition))
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Réponses", "Dictionnaire"]
    header, row = list(workbook["Réponses"].iter_rows(values_only=True))
    # Empty cells are not written: the weight columns close the row, empty before any results.
    cells = dict(zip(header, row + (None,) * (len(header) - len(row)), strict=True))
    assert cells["poids"] is None
    assert cells["identifiant"] == full.public_id
    assert cells["usage_ia"] == "oui"
    assert cells["usage_domaines__mobilite"] == 1
    assert cells["usage_domaines__autre_texte"] == "'=HYPERLINK(1)"
    assert cells["usage_impacts__usagers"] == "nsp"
    assert cells["orga_agents"] == 1200
    assert cells["orga_budget"] == 12.5
    assert cells["orga_charte"] == "non"
    assert cells["usage_stade"] == "avance"
    assert cells["envoyee_le"] == timezone.localtime(full.submitted_at).replace(
        tzinfo=None, microsecond=0
    )
    codebook = {row[0]: row for row in workbook["Dictionnaire"].iter_rows(values_only=True) if row}
    assert codebook["usage_ia"][1] == typeset("Utilisez-vous l'IA ?")
    assert "nsp = Je ne sais pas" in codebook["usage_ia"][3]
    assert codebook["usage_domaines__eau"][1] == typeset("Dans quels domaines ? — Eau")
    assert NOT_ASKED in codebook


def test_json_groups_answers_by_section_with_codes_and_labels(full, draft, edition):
    objects = by_id(json.loads(export("json", edition, status="all")))
    answers = objects[full.public_id]["reponses"]
    assert list(answers) == ["usages", "organisation"]
    assert answers["usages"]["usage_ia"] == {
        "etat": "repondue",
        "valeur": "oui",
        "libelle": "Oui",
    }
    assert answers["usages"]["usage_domaines"] == {
        "etat": "repondue",
        "valeur": ["mobilite", "autre"],
        "libelle": ["Mobilite", "Autre"],
        "precision": "=HYPERLINK(1)",
    }
    assert answers["usages"]["usage_impacts"]["libelle"] == {
        "agents": "Positif",
        "usagers": "Je ne sais pas",
    }
    assert answers["organisation"]["orga_agents"]["valeur"] == 1200
    assert answers["organisation"]["orga_charte"] == {
        "etat": "repondue",
        "valeur": False,
        "libelle": "Non",
    }
    assert objects[full.public_id]["collectivite"]["siren"] == "216901231"
    hidden = objects[draft.public_id]["reponses"]["usages"]
    assert hidden["usage_domaines"] == {"etat": "non_posee"}
    assert hidden["usage_stade"] == {"etat": "sans_reponse"}


def test_the_dont_know_note_follows_the_choices_flag_not_its_code_or_label(edition):
    Choice.objects.filter(question__code="usage_ia", code="nsp").update(is_dont_know=False)
    Choice.objects.filter(question__code="usage_stade", code="avance").update(
        label="Ne se prononce pas", is_dont_know=True
    )
    schema = json.loads(export("schema", edition))
    fields = {field["name"]: field for field in schema["fields"]}
    assert "pas une valeur manquante" not in fields["usage_ia"]["description"]
    assert "pas une valeur manquante" in fields["usage_stade"]["description"]


def test_json_of_no_response_is_an_empty_list(edition):
    assert json.loads(export("json", edition)) == []


def test_table_schema_documents_codes_labels_and_missing_values(full, edition):
    schema = json.loads(export("schema", edition))
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["usage_ia"]["title"] == "Utilisez-vous l'IA ?"
    assert fields["usage_ia"]["constraints"]["enum"] == ["oui", "non", "nsp"]
    assert {"value": "nsp", "label": "Je ne sais pas"} in fields["usage_ia"]["categories"]
    assert "Je ne sais pas" in fields["usage_ia"]["description"]
    assert fields["usage_domaines__eau"]["type"] == "integer"
    assert "usage_ia" in fields["usage_domaines__eau"]["description"]
    assert fields["orga_budget"]["type"] == "number"
    assert [value["value"] for value in schema["missingValues"]] == ["", NOT_ASKED]


# -- Open data ----------------------------------------------------------------------------


def test_the_open_data_package_validates_with_frictionless(full, draft, edition, tmp_path):
    descriptor = unpack(export("datapackage", edition, status="all"), tmp_path)
    assert descriptor["licenses"][0]["name"] == "etalab-2.0"
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = by_id(csv_rows((tmp_path / "reponses.csv").read_bytes()))
    assert rows[full.public_id]["usage_ia"] == "oui"
    assert rows[draft.public_id]["usage_domaines__eau"] == NOT_ASKED


def test_the_open_data_package_holds_exactly_the_staff_export_minus_private_columns(
    full, draft, edition, tmp_path
):
    staff = by_id(csv_rows(export("csv", edition, status="all")))
    unpack(export("datapackage", edition, status="all"), tmp_path)
    published = by_id(csv_rows((tmp_path / "reponses.csv").read_bytes()))
    assert published.keys() == staff.keys()
    for public_id, row in published.items():
        assert row == {name: staff[public_id][name] for name in row}
    private = set(staff[full.public_id]) - set(published[full.public_id])
    assert private == {
        "autre_structure_siren",
        "orga_fonction",
        "orga_commentaire",
        "usage_domaines__autre_texte",
    }


def test_the_open_data_package_catches_a_value_outside_the_codebook(full, edition, tmp_path):
    unpack(export("datapackage", edition), tmp_path)
    data = tmp_path / "reponses.csv"
    data.write_text(data.read_text().replace(',"avance",', ',"presque",'))
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert report.flatten(["fieldName", "type"]) == [["usage_stade", "constraint-error"]]


def test_the_open_data_package_has_no_personal_data_and_free_text_on_request(full, tmp_path):
    edition = full.edition
    Respondent.create_for(full, email="agent@lyon.fr", name="Camille")
    descriptor = unpack(export("datapackage", edition, contacts=True, labels=True), tmp_path)
    names = [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]]
    assert "orga_fonction" not in names
    assert "orga_commentaire" not in names and "usage_domaines__autre_texte" not in names
    assert not any(name.startswith("contact") for name in names)
    content = (tmp_path / "reponses.csv").read_text()
    assert "agent@lyon.fr" not in content and "Camille" not in content and "dsi" not in content
    assert ',"oui",' in content  # codes, even when labels were asked for

    with_text = tmp_path / "with-text"
    unpack(export("datapackage", edition, free_text=True), with_text)
    row = csv_rows((with_text / "reponses.csv").read_bytes())[0]
    assert row["orga_commentaire"].startswith("Très bien")
    assert frictionless.validate(with_text / "datapackage.json").valid


def test_the_default_open_data_package_has_no_free_text_nor_name_outside_the_official_list(
    edition, tmp_path
):
    other = submitted(edition, other_structure_name="Jean Dupont EI")
    other.other_structure_siren = "123456782"
    other.save()
    answer(other, "usage_domaines", {"choices": ["mobilite", "autre"], "other": "Texte libre"})
    answer(other, "orga_commentaire", "Commentaire libre")
    unpack(export("datapackage", edition), tmp_path)
    content = (tmp_path / "reponses.csv").read_text()
    for text in ("Jean Dupont", "123456782", "Texte libre", "Commentaire libre"):
        assert text not in content
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    fields = descriptor["resources"][0]["schema"]["fields"]
    assert not [f["name"] for f in fields if f["name"].startswith("autre_structure")]
    assert all(f["type"] != "string" or "enum" in f.get("constraints", {}) or
               f["name"].startswith(("identifiant", "collectivite", "departement", "region"))
               for f in fields), [f["name"] for f in fields if f["type"] == "string"]  # fmt: skip
    assert frictionless.validate(tmp_path / "datapackage.json").valid


def test_every_declared_personal_field_is_exported_only_with_the_contact_option(edition):
    from survey.collection.models import PERSONAL_FIELDS, AccessRequest, Response

    response = submitted(edition, other_structure_name="Zorglub SARL")
    Respondent.create_for(response, email="zorglub@x.fr", name="Zorglub", role="Zorglub DSI")
    AccessRequest.create_for(response, "zorglub2@x.fr")
    for model, fields in PERSONAL_FIELDS.items():
        for field in fields:
            assert "zorglub" in str(getattr(model.objects.first(), field)).lower()
    for format_key in ("csv", "long-csv", "json", "datapackage"):
        assert b"orglub" not in export(format_key, edition), format_key
        assert b"orglub" not in export(format_key, edition, contacts=True, open_data=True)
    exported = export("csv", edition, contacts=True).decode()
    for model, fields in PERSONAL_FIELDS.items():
        if model is not AccessRequest:  # requests are followed in the admin, not exported
            for field in fields:
                value = getattr(model.objects.get(pk=response.pk) if model is Response
                                else model.objects.first(), field)  # fmt: skip
                assert value in exported, (model, field)


def test_contact_details_are_exported_only_when_asked(full, edition):
    Respondent.create_for(full, email="agent@lyon.fr", role="DSI")
    assert b"agent@lyon.fr" not in export("csv", edition)
    row = csv_rows(export("csv", edition, contacts=True))[0]
    assert (row["contact_emails"], row["contact_fonctions"]) == ("agent@lyon.fr", "DSI")
    assert json.loads(export("json", edition, contacts=True))[0]["repondants"][0]["email"] == (
        "agent@lyon.fr"
    )


# -- Status, changes of the questionnaire, formula injection -----------------------------------


def test_exports_keep_drafts_and_submitted_responses_apart(full, draft, edition):
    def ids(status):
        return {row["identifiant"] for row in csv_rows(export("csv", edition, status=status))}

    assert ids("submitted") == {full.public_id}
    assert ids("draft") == {draft.public_id}
    assert ids("all") == {full.public_id, draft.public_id}
    assert {o["identifiant"] for o in json.loads(export("json", edition))} == {full.public_id}


def test_a_changed_questionnaire_keeps_older_responses_columns_aligned(full, edition):
    before = csv_rows(export("csv", edition))[0]
    # The questionnaire evolves: a question is added in the middle, a choice is relabelled,
    # another question is deactivated; a new response comes in.
    QuestionFactory(
        section=Question.objects.get(code="usage_ia").section,
        position=2,
        code="usage_nouvelle",
        kind=QuestionKind.YES_NO,
    )
    Question.objects.filter(code="usage_stade", edition=edition).update(is_active=False)
    Choice.objects.filter(question__code="usage_ia", code="oui").update(label="Oui, déjà")
    newer = submitted(edition)
    answer(newer, "usage_ia", "non")
    answer(newer, "usage_nouvelle", "oui")

    rows = by_id(csv_rows(export("csv", edition)))
    older = rows[full.public_id]
    assert {k: v for k, v in older.items() if k != "usage_nouvelle"} == before
    assert older["usage_nouvelle"] == ""
    assert rows[newer.public_id]["usage_nouvelle"] == "oui"
    assert rows[newer.public_id]["usage_stade"] == NOT_ASKED  # deactivated, never asked
    header = list(rows[full.public_id])
    assert header.index("usage_ia") < header.index("usage_nouvelle") < header.index("orga_agents")
    labelled = by_id(csv_rows(export("csv", edition, labels=True)))
    assert labelled[full.public_id]["usage_ia"] == "Oui, déjà"
    assert labelled[full.public_id]["usage_stade"] == "Avance"


def test_a_deactivated_choice_keeps_its_column(full, edition):
    Choice.objects.filter(question__code="usage_domaines", code="mobilite").update(is_active=False)
    row = csv_rows(export("csv", edition))[0]
    assert row["usage_domaines__mobilite"] == "1"


@pytest.mark.parametrize(
    "text", ["=1+1", "+33 6", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "=cmd|' /C calc'!A0"]
)
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Bonjour", "", "12", "a=b", "« -3 »"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("written_with", [",", ";"])
@pytest.mark.parametrize("format_key", ["csv", "long-csv"])
def test_a_formula_after_an_embedded_separator_is_inert_whatever_separator_opens_the_csv(
    edition, written_with, format_key
):
    response = submitted(edition, other_structure_name="a,@SUM(1)")
    answer(response, "orga_commentaire", "x;=1+127;y,+2\n-3\t=4|@5")
    data = export(format_key, edition, delimiter=written_with, contacts=True).decode()
    for opened_with in (",", ";", "\t", "|"):
        for line in data.splitlines():
            for cell in line.split(opened_with):
                cell = cell.strip('"')
                assert not cell.startswith(("=", "+", "-", "@")), (opened_with, line)
    assert "\"x;'=1+127;y,'+2" in data  # quoted, and neutralised after each separator


def test_every_text_field_of_every_csv_is_quoted(full, edition, tmp_path):
    for data in (export("csv", edition), export("long-csv", edition, delimiter=";")):
        header, first = data.decode().splitlines()[:2]
        assert header.startswith('"identifiant"') and first.startswith(f'"{full.public_id}"')
    unpack(export("datapackage", edition), tmp_path)
    assert (tmp_path / "reponses.csv").read_text().startswith('"identifiant","edition","statut"')


def test_formula_injection_is_neutralised_in_csv_and_xlsx_but_numbers_are_not(edition, tmp_path):
    QuestionFactory(
        section=edition.sections.first(), code="solde", kind=QuestionKind.INTEGER, position=9
    )
    response = submitted(edition, other_structure_name="@evil")
    answer(response, "orga_commentaire", '=WEBSERVICE("http://x")')
    answer(response, "solde", "-12")
    row = csv_rows(export("csv", edition, contacts=True))[0]
    assert row["orga_commentaire"] == '\'=WEBSERVICE("http://x")'
    assert row["autre_structure_nom"] == "'@evil"
    assert row["solde"] == "-12"
    long_rows = csv_rows(export("long-csv", edition))
    assert next(r for r in long_rows if r["question"] == "orga_commentaire")["valeur"][0] == "'"
    path = tmp_path / "export.xlsx"
    path.write_bytes(export("xlsx", edition))
    sheet = openpyxl.load_workbook(path)["Réponses"]
    header = [cell.value for cell in sheet[1]]
    cells = {name: sheet.cell(row=2, column=i + 1) for i, name in enumerate(header)}
    assert cells["orga_commentaire"].data_type == "s"
    assert cells["orga_commentaire"].value == '\'=WEBSERVICE("http://x")'
    assert cells["solde"].value == -12
    # JSON is not a spreadsheet: the text stays exact there.
    assert (
        json.loads(export("json", edition))[0]["reponses"]["organisation"]["orga_commentaire"][
            "valeur"
        ]
        == '=WEBSERVICE("http://x")'
    )


def test_xlsx_drops_control_characters_that_excel_refuses(edition, tmp_path):
    response = submitted(edition)
    answer(response, "orga_commentaire", "avant\x0bapres")
    path = tmp_path / "export.xlsx"
    path.write_bytes(export("xlsx", edition))
    sheet = openpyxl.load_workbook(path, read_only=True)["Réponses"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert dict(zip(header, row, strict=False))["orga_commentaire"] == "avantapres"


def test_line_breaks_stored_before_they_were_normalised_are_exported_as_one(full, edition):
    Answer.objects.filter(question__code="orga_commentaire").update(value="Un\r\nDeux\rTrois")
    (row,) = csv_rows(export("csv", edition, free_text=True))
    assert row["orga_commentaire"] == "Un\nDeux\nTrois"


# -- Weights and published estimates ---------------------------------------------------------


@pytest.fixture
def computed(full, edition):
    """The results of the edition computed: two more responses weighted, estimates stored."""
    from tests.results_sample import compute

    return compute(edition)


def test_staff_exports_end_with_each_responses_stratum_cell_and_weight(computed, full, edition):
    rows = by_id(csv_rows(export("csv", edition, status="all")))
    header = list(rows[full.public_id])
    assert header[-3:] == ["ponderation_strate", "ponderation_cellule", "poids"]
    weighted = [row for row in rows.values() if row["poids"]]
    assert sorted((r["ponderation_strate"], r["poids"]) for r in weighted) == [
        ("commune-gt100000", "1.0"),
        ("commune-lt3500", "1.0"),
    ]
    assert rows[full.public_id]["poids"] == ""  # sent after the computation: not weighted
    labelled = by_id(csv_rows(export("csv", edition, status="all", labels=True)))
    assert "Communes de moins de 3 500 habitants" in {
        row["ponderation_strate"] for row in labelled.values()
    }
    long = csv_rows(export("long-csv", edition))  # the long table keeps its columns
    assert "poids" not in long[0]


def test_the_open_data_package_has_the_weights_and_the_published_estimates_only(
    computed, edition, tmp_path
):
    from results.models import Publication

    for code in ["usage_ia", "usage_impacts"]:
        Publication.objects.create(edition=edition, question=edition.questions.get(code=code))
    descriptor = unpack(export("datapackage", edition, status="all"), tmp_path)
    assert [resource["name"] for resource in descriptor["resources"]] == [
        "reponses",
        "estimations",
    ]
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    responses = csv_rows((tmp_path / "reponses.csv").read_bytes())
    assert sorted(row["poids"] for row in responses) == ["", "1.0", "1.0"]
    estimates = csv_rows((tmp_path / "estimations.csv").read_bytes())
    assert {row["question"] for row in estimates} == {"usage_ia", "usage_impacts"}
    assert "non-publie" not in {row["fiabilite"] for row in estimates}
    assert {row["option"] for row in estimates if row["question"] == "usage_ia"} == {"oui", "non"}
    assert len(estimates) == 4 + 4  # usage_ia: 2 cells × 2 domains; matrix: 2 rows × 2 options


def test_the_open_data_package_catches_an_estimate_outside_its_schema(computed, edition, tmp_path):
    from results.models import Publication

    Publication.objects.create(edition=edition, question=edition.questions.get(code="usage_ia"))
    unpack(export("datapackage", edition), tmp_path)
    data = tmp_path / "estimations.csv"
    data.write_text(data.read_text().replace('"publie"', '"fiable"', 1))
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.flatten(["fieldName", "type"]) == [["fiabilite", "constraint-error"]]

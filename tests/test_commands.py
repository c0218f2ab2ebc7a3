import csv
import io
import json
import zipfile

import frictionless
import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from survey.collection.models import Answer, Respondent, Response, ResponseSubmission
from survey.enums import QuestionKind, ResponseStatus
from survey.exports.rows import NOT_ASKED
from tests.factories import CollectiviteFactory
from tests.sample import answer, make_questionnaire, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    return make_questionnaire()


def read_csv(path, delimiter=","):
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=delimiter))


# -- export_responses -------------------------------------------------------------------------


def test_export_responses_writes_each_format(edition, tmp_path):
    response = submitted(edition)
    answer(response, "usage_ia", "nsp")
    files = {
        "csv": tmp_path / "wide.csv",
        "long-csv": tmp_path / "long.csv",
        "xlsx": tmp_path / "export.xlsx",
        "json": tmp_path / "export.json",
        "datapackage": tmp_path / "open-data.zip",
        "schema": tmp_path / "schema.json",
    }
    for format_key, path in files.items():
        call_command(
            "export_responses", "--edition=2031", f"--format={format_key}", f"--output={path}"
        )
    assert read_csv(files["csv"])[0]["usage_ia"] == "nsp"
    assert read_csv(files["long-csv"])[0]["identifiant"] == response.public_id
    sheet = openpyxl.load_workbook(files["xlsx"], read_only=True)["Réponses"]
    assert next(sheet.iter_rows(min_row=2, values_only=True))[0] == response.public_id
    data = json.loads(files["json"].read_text())
    assert data[0]["reponses"]["usages"]["usage_ia"]["libelle"] == "Je ne sais pas"
    with zipfile.ZipFile(files["datapackage"]) as archive:
        archive.extractall(tmp_path / "package")
    assert frictionless.validate(tmp_path / "package" / "datapackage.json").valid
    fields = json.loads(files["schema"].read_text())["fields"]
    assert fields[0]["name"] == "identifiant"


def test_export_responses_filters_by_status_and_gives_labels_for_excel(edition, tmp_path):
    done = submitted(edition)
    answer(done, "usage_ia", "oui")
    draft = CollectiviteFactory().responses.create(edition=edition, progress=10)
    output = tmp_path / "export.csv"

    def exported(*args):
        call_command("export_responses", "--edition=2031", f"--output={output}", *args)
        return read_csv(output, ";" if "--semicolon" in args else ",")

    assert [row["identifiant"] for row in exported()] == [done.public_id]
    assert [row["identifiant"] for row in exported("--status=draft")] == [draft.public_id]
    assert len(exported("--status=all")) == 2
    rows = exported("--labels", "--semicolon", "--bom")
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows[0]["usage_ia"] == "Oui"


def test_export_responses_explains_a_wrong_edition_or_path(edition, tmp_path):
    with pytest.raises(CommandError, match="Pas d'édition 1999 \\(éditions : 2031\\)"):
        call_command("export_responses", "--edition=1999", f"--output={tmp_path / 'x'}")
    with pytest.raises(CommandError, match="Impossible d'écrire"):
        call_command("export_responses", f"--output={tmp_path / 'absent' / 'x.csv'}")


# -- seed_responses --------------------------------------------------------------------------


def test_seed_responses_creates_consistent_drafts_and_submitted_responses(edition):
    collectivites = CollectiviteFactory.create_batch(60)
    taken = submitted(edition, collectivite=collectivites[0])
    call_command("seed_responses", "--count=50", "--edition=2031", "--seed=3", stdout=io.StringIO())

    responses = Response.objects.filter(edition=edition).exclude(pk=taken.pk)
    assert responses.count() == 50
    assert responses.values("collectivite").distinct().count() == 50
    assert not responses.filter(collectivite=collectivites[0]).exists()
    assert responses.drafts().exists() and responses.submitted().exists()
    assert ResponseSubmission.objects.filter(response__in=responses).count() == (
        responses.submitted().count()
    )
    assert Respondent.objects.filter(response__in=responses).count() == 50
    questions = {q.code: q for q in edition.questions.prefetch_related("choices", "items")}
    for response in responses.prefetch_related("answers__question"):
        values = {a.question.code: a.value for a in response.answers.all()}
        for code, value in values.items():
            question = questions[code]
            assert question.clean_answer(value) == value
            assert question.is_shown(values), f"{code} answered although not asked"
            if question.kind == QuestionKind.MULTIPLE_CHOICE:
                assert len(value["choices"]) <= (question.max_choices or 99)
                if "nsp" in value["choices"]:
                    assert value["choices"] == ["nsp"]
        if response.status == ResponseStatus.SUBMITTED:
            assert response.submitted_at is not None
            for question in questions.values():
                if question.required and question.is_shown(values):
                    assert question.code in values
        assert 0 <= response.progress <= 100
        assert response.created_at <= response.updated_at


def test_seeded_responses_export_without_any_answer_that_was_not_asked(edition, tmp_path):
    CollectiviteFactory.create_batch(30)
    call_command("seed_responses", "--count=30", "--seed=5", stdout=io.StringIO())
    output = tmp_path / "seed.csv"
    call_command("export_responses", "--status=all", f"--output={output}")
    rows = read_csv(output)
    assert len(rows) == 30
    said_no = [row for row in rows if row["usage_ia"] in ("non", "nsp")]
    assert said_no and all(row["usage_domaines__eau"] == NOT_ASKED for row in said_no)


def test_seed_responses_refuses_more_responses_than_collectivites_without_one(edition):
    CollectiviteFactory.create_batch(3)
    with pytest.raises(CommandError, match="Seulement 3 collectivité"):
        call_command("seed_responses", "--count=4")
    assert not Answer.objects.exists()

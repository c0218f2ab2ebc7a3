"""The open-data package carries only the projects whose respondent accepted publication
(issue 23, point 16): an item's row is linked to the response, so to the collectivité's
SIREN and name."""

from pathlib import Path

import pytest

from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import CollectiviteFactory
from tests.helpers.exports import by_id, csv_rows, export, unpack
from tests.sample import answer, submitted

pytestmark = pytest.mark.django_db
FILE = Path(__file__).resolve().parent.parent / "questionnaires" / "2025.toml"


def project(name, publication, domaine="eau"):
    item = {"nom": name, "domaine": domaine, "stade": "production", "generative": "oui",
            "hebergement": "france"}  # fmt: skip
    if publication is not None:
        item["publication"] = publication
    return item


@pytest.fixture
def edition():
    load_questionnaire(FILE)
    return Edition.objects.for_year(2025, "barometre-ia-collectivites")


@pytest.fixture
def lyon(edition):
    response = submitted(edition, collectivite=CollectiviteFactory(name="Lyon", siren="216901231"))
    answer(response, "usage_ia", "oui")
    answer(
        response,
        "usage_ia_projets",
        [
            project("Public", "oui"),
            project("Refusé", "non", domaine="securite"),
            project("Sans avis", None, domaine="dechets"),
        ],
    )
    return response


def test_the_open_data_projects_leave_out_those_whose_publication_was_not_accepted(
    edition, lyon, tmp_path
):
    unpack(export("datapackage", edition, status="all"), tmp_path)
    rows = csv_rows((tmp_path / "projets.csv").read_bytes())
    assert [(row["identifiant"], row["numero"]) for row in rows] == [(lyon.public_id, "1")]
    assert rows[0]["usage_ia_projets__domaine"] == "eau"
    assert "securite" not in (tmp_path / "projets.csv").read_text()
    # The response is still in the package, with its SIREN: nothing else links to it.
    responses = by_id(csv_rows((tmp_path / "reponses.csv").read_bytes()))
    assert responses[lyon.public_id]["collectivite_siren"] == "216901231"


def test_staff_exports_keep_every_project(edition, lyon):
    items = csv_rows(export("items-csv", edition, status="all", free_text=True))
    assert [row["usage_ia_projets__nom"] for row in items] == ["Public", "Refusé", "Sans avis"]


def test_the_2025_file_names_the_publication_question_as_the_projects_consent(edition):
    group = edition.questions.get(code="usage_ia_projets")
    assert group.kind_class.consent_code(group) == "publication"


def test_the_loader_refuses_a_consent_that_is_not_a_yes_no_sub_question(tmp_path):
    from survey.questionnaire.loader import QuestionnaireError
    from tests.helpers.questionnaires import GROUP_FILE, VALID, write

    with pytest.raises(QuestionnaireError) as error:
        text = GROUP_FILE.replace("max_items = 5", 'max_items = 5\nconsent = "stade"')
        load_questionnaire(write(tmp_path, VALID + text))
    assert "« consent » nomme la sous-question oui / non" in str(error.value.problems)

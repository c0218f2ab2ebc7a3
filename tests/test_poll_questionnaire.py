from pathlib import Path

import pytest

from survey.enums import Audience
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition, MatrixItem, Question

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CITIZENS = ROOT / "questionnaires" / "citoyens-2025.toml"


def test_the_citizens_questionnaire_is_a_second_survey_beside_the_collectivites_one():
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    load_questionnaire(ROOT / "questionnaires" / "2025.toml")
    load_questionnaire(CITIZENS)
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    assert poll.survey.audience == Audience.CITOYENS
    assert (
        Edition.objects.for_year(2025, "barometre-ia-collectivites").survey.audience
        == Audience.COLLECTIVITES
    )
    assert 15 <= Question.objects.filter(edition=poll).count() <= 20


def test_the_citizens_questionnaire_asks_the_weighting_profile_on_its_first_page():
    load_questionnaire(CITIZENS)
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    first = poll.sections.order_by("position").first()
    codes = set(first.questions.values_list("code", flat=True))
    assert codes == {
        "profil_age",
        "profil_sexe",
        "profil_region",
        "profil_taille_commune",
        "profil_occupation",
    }
    assert not first.questions.filter(open_data=True).exists()


def test_the_risks_asked_of_citizens_keep_the_rows_asked_of_collectivites():
    load_questionnaire(ROOT / "questionnaires" / "2023.toml")
    load_questionnaire(ROOT / "questionnaires" / "2025.toml")
    load_questionnaire(CITIZENS)
    rows = {
        survey: set(
            MatrixItem.objects.filter(
                question__edition__survey__code=survey, question__code=code
            ).values_list("code", flat=True)
        )
        for survey, code in (("sondage-citoyens", "risques"),
                             ("barometre-ia-collectivites", "diff_risques"))
    }  # fmt: skip
    assert rows["barometre-ia-collectivites"] <= rows["sondage-citoyens"]
    assert rows["sondage-citoyens"] - rows["barometre-ia-collectivites"] == {"controle_attention"}

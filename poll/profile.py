"""The respondent's profile, read from the first page of the citizens' questionnaire.

These question codes are those of questionnaires/citoyens-2025.toml: quotas, screening and
weighting read them, so the file keeps them from one year to the next.
"""

from survey.questionnaire.kinds.single_choice import single_code

PROFILE_SECTION = "profil"
PROFILE_QUESTIONS = {
    "age": "profil_age",
    "sex": "profil_sexe",
    "region": "profil_region",
    "commune_size": "profil_taille_commune",
    "occupation": "profil_occupation",
}
SCREENED_OUT_AGES = {"moins_18"}


def profile_of(values):
    """{age, sex, region, commune_size, occupation: answer code or None} from the answers."""
    return {
        key: single_code(values[code]) if values.get(code) is not None else None
        for key, code in PROFILE_QUESTIONS.items()
    }


def is_screened_out(profile):
    """Outside the poll's population: residents of 18 and over."""
    return profile["age"] in SCREENED_OUT_AGES

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


def profiles_of(response_ids):
    """{response id: profile} of many responses, their profile answers read in one query."""
    from survey.collection.models import Answer

    values = {pk: {} for pk in response_ids}
    answers = Answer.objects.filter(
        response_id__in=response_ids, question__code__in=PROFILE_QUESTIONS.values()
    ).values_list("response_id", "question__code", "value")
    for response_id, code, value in answers:
        values[response_id][code] = value
    return {pk: profile_of(found) for pk, found in values.items()}


def is_screened_out(profile):
    """Outside the poll's population: residents of 18 and over."""
    return profile["age"] in SCREENED_OUT_AGES

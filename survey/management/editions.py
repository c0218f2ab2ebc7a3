"""The edition a command works on, named by its survey and its year (two surveys share 2025)."""

from django.core.management.base import CommandError

from survey.enums import Audience
from survey.questionnaire.models import BAROMETER_SURVEY, Edition, Survey


def add_survey_argument(parser, *, barometer_by_default=True):
    """`--survey CODE`. Commands made for the barometer default to it, and their help says so;
    the others have no default (see find_edition_of_year)."""
    if barometer_by_default:
        parser.add_argument(
            "--survey",
            default=BAROMETER_SURVEY,
            help=f"Code de l'enquête (défaut : « {BAROMETER_SURVEY} », le baromètre des "
            "collectivités).",
        )
    else:
        parser.add_argument(
            "--survey",
            help="Code de l'enquête, ex. « sondage-citoyens » (obligatoire si plusieurs "
            "enquêtes ont une édition cette année-là).",
        )


def find_survey(code, audience=None):
    """The survey of that code, or a CommandError in French that lists the known ones."""
    survey = Survey.objects.filter(code=code).first()
    if survey is None:
        known = ", ".join(Survey.objects.values_list("code", flat=True)) or "aucune"
        raise CommandError(f"Enquête inconnue : « {code} » (enquêtes : {known}).")
    if audience is not None and survey.audience != audience:
        raise CommandError(
            f"Cette commande porte sur les enquêtes auprès des "
            f"{Audience(audience).label.lower()} ; « {code} » s'adresse aux "
            f"{survey.get_audience_display().lower()}."
        )
    return survey


def find_edition(year, survey, *, audience=None, hint=""):
    """The survey's edition of `year`, or a CommandError in French that says which exist.

    `audience` refuses a survey the command cannot work on (the frame and the weights are the
    collectivités'); `hint` ends the message when the edition is missing."""
    found = find_survey(survey, audience)
    edition = Edition.objects.for_year(year, found.code)
    if edition is None:
        years = ", ".join(
            str(y)
            for y in Edition.objects.of(found.code).order_by("year").values_list("year", flat=True)
        )
        raise CommandError(
            f"Aucune édition {year} de l'enquête « {found.code} » (éditions : {years or 'aucune'})."
            + (f" {hint}" if hint else "")
        )
    return edition


def find_edition_of_year(year, survey=None):
    """With `survey`, as find_edition; without, the edition of `year` if only one survey has
    one, never a guess between several."""
    if survey is not None:
        return find_edition(year, survey)
    surveys = list(Survey.objects.filter(editions__year=year).order_by("code"))
    if not surveys:
        raise CommandError(f"Aucune édition {year}.")
    if len(surveys) > 1:
        codes = ", ".join(f"« {found.code} » ({found.title})" for found in surveys)
        raise CommandError(
            f"Plusieurs enquêtes ont une édition {year} : {codes}. Précisez laquelle avec --survey."
        )
    return Edition.objects.for_year(year, surveys[0].code)

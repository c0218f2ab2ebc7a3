"""The banner of the poll's staff pages when its weights rest on test margins."""

from django import template

from poll.journey import SURVEY
from poll.models import WeightingRun
from survey.questionnaire.models import Edition

register = template.Library()


@register.inclusion_tag("admin/poll/includes/test_margins_banner.html")
def test_margins_banner():
    """Per poll edition: its weights (latest accepted run) or its loaded margins are test data."""
    warnings = []
    for edition in Edition.objects.filter(survey__code=SURVEY).order_by("year"):
        run = WeightingRun.objects.accepted().filter(edition=edition).first()
        if run is not None and run.test_margins:
            warnings.append(
                f"Les poids du sondage {edition.year} reposent sur des marges de test (chiffres "
                "fictifs) : ses chiffres pondérés ne sont pas publiés. Chargez les marges de "
                "l’INSEE ou de l’institut, puis relancez le calcul des poids."
            )
        elif edition.margins.filter(is_test=True).exists():
            warnings.append(
                f"Les marges chargées pour le sondage {edition.year} sont des données de test : "
                "des poids calculés sur elles ne seront jamais publiés."
            )
    return {"warnings": warnings}

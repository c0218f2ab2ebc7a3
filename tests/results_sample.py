"""Stored results made by hand, as `compute_results` would store them: a frame, a computation,
weights and estimates for the small questionnaire of tests.sample."""

import datetime

from django.utils import timezone

from results.models import Computation, Estimate, Frame, Reliability, Statistic, Weight
from survey.questionnaire.models import Question
from tests.factories import CollectiviteFactory
from tests.sample import answer, submitted

METHOD = (
    "Post-stratification sur le type et la taille, puis calage sur les marges des régions ; "
    "facteurs bornés entre 0,3 et 3."
)
BASE = "Collectivités à qui la question a été posée, « Je ne sais pas » compris"


def estimate(computation, code, choice, value, reliability=Reliability.PUBLISHED, **fields):
    question = Question.objects.get(edition=computation.edition, code=code)
    defaults = {
        "domain": "toutes",
        "domain_label": "Toutes collectivités",
        "base": BASE,
        "n": 40,
        "base_n": 100,
        "ci_low": max(value - 0.1, 0),
        "ci_high": value + 0.1,
        "cv": 0.1,
        "effective_n": 62.5,
    }
    return Estimate.objects.create(
        computation=computation,
        question=question,
        choice_code=choice,
        value=value,
        reliability=reliability,
        **(defaults | fields),
    )


def compute(edition, closed=True):
    """Two sent responses of the frame with their weights, and estimates of usage_ia (one of
    each reliability), of a matrix and of a number, in two domains."""
    lyon = CollectiviteFactory(name="Lyon", population=500_000)
    village = CollectiviteFactory(name="Village", population=800)
    frame = Frame.freeze(edition)
    responses = [submitted(edition, collectivite=lyon), submitted(edition, collectivite=village)]
    answer(responses[0], "usage_ia", "oui")
    answer(responses[1], "usage_ia", "non")
    answer(responses[0], "orga_charte", "oui")
    answer(responses[1], "orga_charte", "non")
    if closed:
        edition.closes_at = timezone.now() - datetime.timedelta(days=1)
        edition.opens_at = edition.closes_at - datetime.timedelta(days=60)
        edition.save()
    computation = Computation.objects.create(
        edition=edition,
        frame=frame,
        computed_at=timezone.now(),
        respondent_count=2,
        other_structure_count=1,
        method=METHOD,
        collapsed_strata=[
            {"strate": "epci-cu", "regroupee_avec": "epci-ca"},
            {
                "region": "06",
                "libelle": "Mayotte",
                "regroupee_avec": "autres",
                "libelle_regroupement": "Autres régions, au prorata de leur effectif",
            },
        ],
        factor_min=0.5,
        factor_max=2.5,
        weight_min=1.0,
        weight_max=1.0,
        kish_efficiency=0.8125,
        effective_n=1.6,
        interval_method="Logit avec correction de population finie",
    )
    Weight.objects.create(
        computation=computation,
        response=responses[0],
        stratum="commune-gt100000",
        weighting_cell="commune-gt100000",
        region_code="84",
        value=1.0,
    )
    Weight.objects.create(
        computation=computation,
        response=responses[1],
        stratum="commune-lt3500",
        weighting_cell="commune-lt3500",
        region_code="84",
        value=1.0,
    )
    for domain, label in [("toutes", "Toutes collectivités"),
                          ("3500-plus", "Collectivités de 3 500 habitants ou plus")]:  # fmt: skip
        extra = {"domain": domain, "domain_label": label}
        estimate(computation, "usage_ia", "oui", 0.43, **extra)
        estimate(computation, "usage_ia", "non", 0.4, Reliability.CAUTION, cv=0.2, **extra)
        estimate(computation, "usage_ia", "nsp", 0.17, Reliability.SUPPRESSED, n=4, cv=0.5, **extra)
    for row in ["agents", "usagers"]:
        estimate(computation, "usage_impacts", "positif", 0.6, row_code=row)
        estimate(computation, "usage_impacts", "negatif", 0.3, row_code=row)
    for statistic, value in [(Statistic.MEAN, 1250.0), (Statistic.MEDIAN, 800.0)]:
        estimate(computation, "orga_agents", "", value, statistic=statistic,
                 ci_low=value - 200, ci_high=value + 300, n=100)  # fmt: skip
    return computation

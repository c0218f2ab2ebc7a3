"""`compute_results --edition YEAR`: one stored computation, French output and errors."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from results.models import Computation, Estimate, Frame, Reliability, Statistic, Weight
from survey.collection.models import Answer
from survey.enums import CollectiviteKind, QuestionKind, ResponseStatus
from tests.factories import (
    CollectiviteFactory,
    EditionFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def compute(year, *args):
    out = io.StringIO()
    call_command("compute_results", f"--edition={year}", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def edition():
    edition = EditionFactory(year=2025)
    usage = QuestionFactory(
        section=SectionFactory(edition=edition),
        code="usage",
        kind=QuestionKind.YES_NO,
    )
    villages = [CollectiviteFactory(population=900, region_code="84") for _ in range(4)]
    CollectiviteFactory(population=6000, region_code="84")  # no respondent in its stratum
    cc = CollectiviteFactory(kind=CollectiviteKind.EPCI, epci_nature="CC", insee_code="",
                             population=20000, region_code="84")  # fmt: skip
    Frame.freeze(edition)
    sent = {"status": ResponseStatus.SUBMITTED, "submitted_at": edition.opens_at}
    for collectivite in [*villages[:2], cc]:
        response = ResponseFactory(edition=edition, collectivite=collectivite, **sent)
        Answer.objects.create(response=response, question=usage, value=True)
    ResponseFactory(edition=edition, other_structure_name="Syndicat mixte", **sent)
    return edition


def test_compute_results_stores_a_computation_and_says_what_it_did_in_french(edition):
    output = compute(2025)
    computation = Computation.objects.get()
    assert "Réponses pondérées (n) : 3" in output
    assert "Réponses d'autres structures, comptées à part et non pondérées : 1" in output
    assert (
        "Strate sans répondant : « Communes de 3 500 à 10 000 habitants », regroupée avec "
        "« Communes de moins de 3 500 habitants »"
    ) in output
    assert "Efficacité de Kish : " in output and "Taille effective de l'échantillon" in output
    assert "Facteurs d'ajustement : de 1,000 à 1,000" in output
    assert "Résultats 2025 calculés en" in output
    assert computation.respondent_count == 3 and computation.other_structure_count == 1
    assert computation.collapsed_strata[0]["strate"] == "commune-3500-10000"
    weights = Weight.objects.filter(computation=computation)
    assert sorted(weights.values_list("value", flat=True)) == pytest.approx([1, 2.5, 2.5])
    assert set(weights.values_list("weighting_cell", flat=True)) == {"commune-lt3500", "epci-cc"}
    assert computation.estimates.filter(question__code="usage").exists()


def test_without_the_collapse_rule_an_empty_stratum_stops_the_command_by_name(edition):
    with pytest.raises(
        CommandError, match="La strate « Communes de 3 500 à 10 000 habitants » n'a aucun"
    ):
        compute(2025, "--sans-regroupement")
    assert not Computation.objects.exists()


def test_an_edition_without_frame_or_without_sent_responses_is_a_french_error():
    with pytest.raises(CommandError, match="Aucune édition 2030"):
        compute(2030)
    edition = EditionFactory(year=2031)
    CollectiviteFactory()
    with pytest.raises(CommandError, match="n'a pas de base de sondage : figez-la d'abord"):
        compute(2031)
    Frame.freeze(edition)
    with pytest.raises(CommandError, match="Aucune réponse envoyée pour l'édition 2031"):
        compute(2031)


def test_a_real_journey_goes_through_compute_results(journey_response):
    edition, response = journey_response
    Frame.freeze(edition)
    output = compute(edition.year)
    assert "Réponses pondérées (n) : 1" in output
    computation = Computation.objects.get()
    weight = Weight.objects.get(computation=computation)
    assert weight.response == response and weight.value == pytest.approx(1)

    def figure(code, choice="", row="", statistic=Statistic.PROPORTION):
        return Estimate.objects.get(
            computation=computation,
            question__code=code,
            domain="toutes",
            row_code=row,
            choice_code=choice,
            statistic=statistic,
        )

    assert figure("usage_ia", "oui").value == 1
    assert figure("usage_domaines", "eau").n == 1
    assert figure("usage_domaines", "mobilite").n == 0
    assert figure("usage_impacts", "nsp", row="usagers").value == 1
    assert figure("orga_agents", statistic=Statistic.MEAN).value == 1250
    assert figure("orga_budget", statistic=Statistic.MEDIAN).value == 3.5
    assert figure("orga_charte", "oui").value == 1
    # Lyon is the whole of its stratum: a census, so no uncertainty; but one response is
    # never published.
    oui = figure("usage_ia", "oui")
    assert oui.ci_low == oui.ci_high == 1
    assert oui.reliability == Reliability.SUPPRESSED
    assert not Estimate.objects.filter(question__code="orga_commentaire").exists()

"""The public crossed page reads stored figures (issue 23, point 11) and never shows citizens'
figures weighted on test margins (issue 22, point 7)."""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from poll import crossing
from poll.models import CrossedFigure, CrossingComputation, WeightingRun
from results.estimation import run_computation
from results.models import Frame, Publication
from survey.collection.models import Answer
from survey.enums import CollectiviteKind
from survey.questionnaire.loader import load_questionnaire
from survey.questionnaire.models import Edition
from tests.factories import CollectiviteFactory
from tests.helpers.poll import real_margins
from tests.poll_sample import PAGES, PROFILE, poll_edition, quick_complete
from tests.sample import answer, submitted

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "/resultats/2025/citoyens-et-collectivites/"
STAFF = "/admin/poll/participation/croisement/2025/"
RISKS = {key.removeprefix("q-risques-"): value for key, value in PAGES["inquietudes"].items()
         if key.startswith("q-risques-")}  # fmt: skip


def weigh_on(folder, *flags):
    """Load the margins (all the citizens here are women of 25 to 34 in a small commune of
    Bretagne: the other categories go) and weigh, which stores the crossing."""
    call_command("load_poll_margins", "--edition", "2025", *flags, str(real_margins(folder)),
                 stdout=io.StringIO())  # fmt: skip
    poll = Edition.objects.for_year(2025, "sondage-citoyens")
    poll.margins.exclude(category__in=["age_25_34:femme", "bretagne", "moins_3500"]).delete()
    call_command("weigh_poll", "--edition", "2025", stdout=io.StringIO())


@pytest.fixture(scope="module")
def published(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both sides of 2025 closed, weighted, crossed and stored; diff_risques published."""
    with (
        django_db_blocker.unblock(),
        override_settings(QUESTIONNAIRE_CACHE=False),
        time_machine.travel(
            datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC), tick=False
        ) as clock,
        transaction.atomic(),
    ):
        load_questionnaire(ROOT / "questionnaires" / "2023.toml")
        load_questionnaire(ROOT / "questionnaires" / "2025.toml")
        barometer = Edition.objects.for_year(2025, "barometre-ia-collectivites")
        communes = [
            CollectiviteFactory(kind=CollectiviteKind.COMMUNE, region_code="53", population=800 + i)
            for i in range(180)
        ]
        frame = Frame.freeze(barometer)
        clock.move_to(datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC))
        for index, commune in enumerate(communes[:60]):
            response = submitted(barometer, collectivite=commune)
            worry = "tres_preoccupant" if index % 3 else "peu_preoccupant"
            answer(response, "diff_risques", {"biais": worry, "erreurs": "assez_preoccupant"})
        poll = poll_edition()
        for index in range(60):
            worry = "tres_preoccupant" if index % 2 else "assez_preoccupant"
            quick_complete(poll, f"c{index}", {**PROFILE, "risques": {**RISKS, "biais": worry}})
        clock.move_to(datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC))
        run_computation(frame)
        weigh_on(tmp_path_factory.mktemp("marges"))
        Publication.objects.create(
            edition=barometer, question=barometer.questions.get(code="diff_risques")
        )
        yield poll
        transaction.set_rollback(True)


def test_weighing_the_poll_stores_every_domains_crossed_figures(published):
    stored = CrossingComputation.objects.get()
    assert stored.weighting_run.weighted_count == 60 and not stored.on_test_margins
    # Every domain where either side has an answer (here all are women of a small commune of
    # Bretagne, and the communes are in Bretagne).
    domains = set(stored.figures.values_list("domain", flat=True))
    assert domains == {"Ensemble", "Région Bretagne", "Communes de moins de 3 500 habitants"}
    figure = stored.figures.get(domain="Ensemble", row="biais", choice="tres_preoccupant")
    assert figure.citizens_value == pytest.approx(0.5)
    assert figure.collectivites_value == pytest.approx(40 / 60)


def test_the_public_page_reads_stored_figures_in_a_bounded_number_of_queries(
    published, client, django_assert_max_num_queries, monkeypatch
):
    def no_computation(*args, **kwargs):
        raise AssertionError("the public page computed figures")

    monkeypatch.setattr(crossing, "crossed_rows", no_computation)
    monkeypatch.setattr(crossing, "CitizensSample", no_computation)
    with django_assert_max_num_queries(16):
        page = client.get(PUBLIC)
    html = page.content.decode()
    assert page.status_code == 200
    assert "50,0\u00a0%" in html and "66,7\u00a0%" in html
    with django_assert_max_num_queries(16):
        region = client.get(PUBLIC, {"domaine": "Région Bretagne"})
    assert "50,0\u00a0%" in region.content.decode()


def test_the_public_page_shows_the_stored_figures_until_they_are_computed_again(published, client):
    risks = Answer.objects.filter(response__edition=published, question__code="risques")
    for stored_answer in risks:
        stored_answer.value = {**stored_answer.value, "biais": "peu_preoccupant"}
        stored_answer.save(update_fields=["value"])
    assert "50,0\u00a0%" in client.get(PUBLIC).content.decode()
    out = io.StringIO()
    call_command("compute_crossing", "--year", "2025", stdout=out)
    assert "chiffre(s) croisé(s) enregistré(s)" in out.getvalue()
    assert "50,0\u00a0%" not in client.get(PUBLIC).content.decode()
    figure = CrossedFigure.objects.get(domain="Ensemble", row="biais", choice="peu_preoccupant")
    assert figure.citizens_value == pytest.approx(1.0)


def test_the_public_page_does_not_show_citizens_weighted_on_test_margins_and_says_why(
    published, client, tmp_path
):
    weigh_on(tmp_path, "--test")
    assert CrossingComputation.objects.get().on_test_margins
    html = client.get(PUBLIC).content.decode()
    assert "Les réponses des citoyens ne sont pas encore publiées" in html
    assert "chiffres de population fictifs" in html
    assert "50,0\u00a0%" not in html  # the citizens' share
    assert "66,7\u00a0%" in html  # the collectivités' side stays


def test_the_staff_crossed_page_is_not_reachable_anonymously(published, client):
    for page in (client.get(STAFF), client.post(STAFF)):
        assert page.status_code == 302 and "/admin/login/" in page["Location"]
    assert CrossingComputation.objects.count() == 1


def test_staff_who_may_store_the_crossing_store_it_from_the_staff_page(published, client):
    reader = User.objects.create_user("lecteur", is_staff=True)
    reader.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(reader)
    assert client.get(STAFF, {"domaine": "Région Bretagne"}).status_code == 200
    assert client.post(STAFF).status_code == 403
    before = CrossingComputation.objects.get()
    client.force_login(User.objects.create_superuser("equipe"))
    page = client.get(STAFF).content.decode()
    assert "La page publique montre les chiffres enregistrés le 1 août 2025" in page
    client.post(STAFF)
    assert CrossingComputation.objects.get().pk != before.pk


def test_without_an_accepted_run_the_public_page_says_the_citizens_are_not_weighted_yet(
    published, client
):
    WeightingRun.objects.all().delete()  # the stored crossing loses its weights
    html = client.get(PUBLIC).content.decode()
    assert "l’échantillon n’a pas encore pu être redressé" in html
    assert "50,0\u00a0%" not in html and "66,7\u00a0%" in html


def test_the_staff_page_says_when_the_public_figures_rest_on_older_results(published, client):
    client.force_login(User.objects.create_superuser("equipe"))
    stale = "d’autres résultats des collectivités que les derniers"
    assert stale not in client.get(STAFF).content.decode()
    run_computation(Frame.objects.get())
    assert stale in client.get(STAFF).content.decode()

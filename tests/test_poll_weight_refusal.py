"""A weighting the margins cannot support is refused (issue 22, point 7): the sample of the
outside probe, one région over-represented, weighted on the shipped test margins, left a gap of
379 % on the région margin and a factor of 3.10. Here a sample of the same kind (382 %, 3.11):
recorded as refused, shown, printed, its weights never stored; and the test margins are said
on every staff page."""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from poll.crossing import CitizensSample
from poll.models import Margin, Participation, RunStatus, WeightingRun
from poll.weighting import ACCEPTED_GAP, categories, weigh
from results.weighting import FACTOR_BOUNDS
from tests.poll_sample import poll_edition, quick_complete

TEST_FILE = Path(__file__).resolve().parent.parent / "data" / "poll" / "marges-TEST.csv"
JUNE = datetime.datetime(2025, 6, 2, 10, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def skewed(django_db_setup, django_db_blocker):
    """170 completes: 130 in the first région, 2 in each of the next 11, 3 in each of the last
    6; ages × sexes and commune sizes in turn; the shipped test margins (every category 1,000)
    loaded."""
    with (
        django_db_blocker.unblock(),
        override_settings(QUESTIONNAIRE_CACHE=False),
        time_machine.travel(JUNE, tick=False),
        transaction.atomic(),
    ):
        edition = poll_edition()
        call_command("load_poll_margins", "--edition", "2025", str(TEST_FILE), stdout=io.StringIO())
        allowed = categories(edition)
        cells, regions, sizes = (
            sorted(allowed[key]) for key in ("age_sexe", "region", "taille_commune")
        )
        people = [regions[0]] * 130
        people += [region for region in regions[1:12] for _ in range(2)]
        people += [region for region in regions[12:] for _ in range(3)]
        for index, region in enumerate(people):
            age, sex = cells[index % len(cells)].split(":")
            quick_complete(edition, f"p{index}", {
                "profil_age": age, "profil_sexe": sex, "profil_region": region,
                "profil_taille_commune": sizes[index % len(sizes)],
            })  # fmt: skip
        yield edition
        transaction.set_rollback(True)


def test_the_shipped_test_file_marks_its_margins_as_test_data(skewed):
    assert Margin.objects.filter(edition=skewed).count() == 32
    assert not Margin.objects.filter(edition=skewed, is_test=False).exists()


def test_a_run_leaving_a_382_percent_gap_and_a_factor_of_3_11_is_refused_and_stores_no_weight(
    skewed,
):
    run = weigh(skewed)
    assert run.status == RunStatus.REFUSED
    assert run.gaps["region"] == pytest.approx(3.816, abs=1e-3)
    assert run.factor_max == pytest.approx(3.113, abs=1e-3) and run.factor_max > FACTOR_BOUNDS[1]
    # The reported gap is the weighted total the run reached against its target.
    reached = {(m["critere"], m["categorie"]): m for m in run.margins}
    first = reached["region", "auvergne_rhone_alpes"]
    assert (first["pondere"] - first["cible"]) / first["cible"] == pytest.approx(3.816, abs=1e-3)
    assert run.gaps["region"] > ACCEPTED_GAP
    assert "auvergne_rhone_alpes reste à 381,6\u00a0% de sa cible" in " ".join(run.refusals)
    assert "sortent des bornes 0,3 à 3,0 : de 0,35 à 3,11" in " ".join(run.refusals)
    assert run.test_margins
    assert not Participation.objects.filter(weight__isnull=False).exists()
    assert not WeightingRun.objects.accepted().exists()
    assert CitizensSample(skewed).response_ids == []  # no figure rests on these weights


def test_a_refused_run_keeps_the_weights_of_the_last_accepted_one(skewed):
    Participation.objects.update(weight=1.0)  # as an earlier accepted run left them
    weigh(skewed)
    assert set(Participation.objects.values_list("weight", flat=True)) == {1.0}


def test_an_accepted_run_cannot_be_recorded_with_factors_outside_the_bounds(skewed):
    run = weigh(skewed)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        WeightingRun.objects.filter(pk=run.pk).update(status=RunStatus.ACCEPTED)


def test_weigh_poll_prints_the_refused_run_and_fails(skewed):
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("weigh_poll", "--edition", "2025", stdout=out)
    printed = out.getvalue()
    assert "facteurs d'ajustement de 0,35 à 3,11" in printed
    assert "région 381," in printed and "reste à 381,6\u00a0% de sa cible" in printed
    assert "CALCUL REFUSÉ, poids non enregistrés" in printed
    assert "Calcul refusé" in str(error.value)
    assert "Marges de test" in printed


def test_the_admin_shows_the_refused_run_with_its_gaps_factors_and_a_test_margins_banner(
    skewed, client
):
    run = weigh(skewed)
    client.force_login(User.objects.create_superuser("observatoire"))
    banner = "Les poids du sondage 2025 reposent sur des marges de test"
    loaded = "Les marges chargées pour le sondage 2025 sont des données de test"
    listing = client.get(reverse("admin:poll_weightingrun_changelist")).content.decode()
    assert "Refusé" in listing and "381,6\u00a0%" in listing and "de 0,35 à 3,11" in listing
    detail = client.get(reverse("admin:poll_weightingrun_change", args=[run.pk])).content.decode()
    assert "n’a pas convergé sur la marge région" in detail
    assert "381,6\u00a0%" in detail and "FICHIER DE TEST" in detail and "(test)" in detail
    # No accepted run yet: the banner names the loaded margins.
    for name in ["poll_participation_changelist", "poll_margin_changelist",
                 "poll_weightingrun_changelist", "poll_quota_changelist"]:  # fmt: skip
        assert loaded in client.get(reverse(f"admin:{name}")).content.decode(), name
    # Once weights rest on them, it says so on every poll page and the crossed page.
    WeightingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.ACCEPTED, refusals=[], factor_max=2.9, factor_min=0.4
    )
    pages = [
        reverse("admin:poll_participation_changelist"),
        reverse("admin:poll_participation_change", args=[Participation.objects.first().pk]),
        reverse("admin:poll_margin_changelist"),
        reverse("admin:poll_weightingrun_changelist"),
        reverse("admin:poll_weightingrun_change", args=[run.pk]),
        "/admin/poll/participation/croisement/2025/",
    ]
    for url in pages:
        assert banner in client.get(url).content.decode(), url


def test_the_admin_action_reports_a_refused_run_as_an_error(skewed, client):
    client.force_login(User.objects.create_superuser("observatoire"))
    page = client.post(
        reverse("admin:poll_margin_changelist"),
        {"action": "weigh_editions", "_selected_action": [Margin.objects.first().pk]},
        follow=True,
    )
    html = page.content.decode()
    assert 'class="error"' in html and "CALCUL REFUSÉ, poids non enregistrés" in html
    assert WeightingRun.objects.get().is_refused
    assert not Participation.objects.filter(weight__isnull=False).exists()

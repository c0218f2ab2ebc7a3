"""Coverage while collecting: the staff page of who has answered, per stratum, région,
département, with the « autre structure » responses apart."""

import csv
import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from results.coverage import (
    chart,
    coverage_rows,
    csv_rows,
    funnel,
    funnel_chart,
    responses_per_day,
)
from results.models import Frame
from survey.enums import CollectiviteKind, ResponseStatus
from tests.factories import CollectiviteFactory, EditionFactory, ResponseFactory, SectionFactory

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def collecting():
    """An open edition, its frame of 6 collectivités, and responses: 2 sent, 1 draft inside
    the frame, 1 sent and 1 draft from « autre structure »."""
    edition = EditionFactory(year=2025)
    small = [
        CollectiviteFactory(name=f"Village {n}", population=1000, region_code="84",
                            region_name="Auvergne-Rhône-Alpes", departement_code="69")
        for n in range(4)
    ]  # fmt: skip
    town = CollectiviteFactory(name="Bourg", population=6000, region_code="11",
                               region_name="Île-de-France", departement_code="91")  # fmt: skip
    epci = CollectiviteFactory(name="CC du Val", kind=CollectiviteKind.EPCI, epci_nature="CC",
                               insee_code="", population=30000, region_code="84",
                               region_name=small[0].region_name, departement_code="69")  # fmt: skip
    frame = Frame.freeze(edition)
    sent_on = datetime.datetime(2025, 6, 2, 10, tzinfo=PARIS)
    for collectivite in [small[0], town]:
        ResponseFactory(edition=edition, collectivite=collectivite,
                        status=ResponseStatus.SUBMITTED, submitted_at=sent_on)  # fmt: skip
    ResponseFactory(edition=edition, collectivite=epci)
    ResponseFactory(edition=edition, other_structure_name="Syndicat mixte",
                    status=ResponseStatus.SUBMITTED, submitted_at=sent_on)  # fmt: skip
    ResponseFactory(edition=edition, other_structure_name="Opérateur public")
    return frame


def by_code(rows):
    return {row.code: row for row in rows}


def test_coverage_per_stratum_counts_n_over_big_n_and_the_population_covered(collecting):
    rows = by_code(coverage_rows(collecting, "strate", target_rate=30))
    small = rows["commune-lt3500"]
    assert (small.eligible, small.started, small.drafts, small.sent) == (4, 1, 0, 1)
    assert small.rate == 25 and small.population_share == 25 and small.under_target
    town = rows["commune-3500-10000"]
    assert (town.eligible, town.sent, town.rate, town.under_target) == (1, 1, 100, False)
    cc = rows["epci-cc"]
    assert (cc.eligible, cc.started, cc.drafts, cc.sent, cc.rate) == (1, 1, 1, 0, 0)
    assert rows["region"].eligible == 0 and rows["region"].rate is None


def test_the_frame_total_leaves_out_other_structures_which_get_their_own_line(collecting):
    rows = list(coverage_rows(collecting, "strate"))
    total, other = rows[-2], rows[-1]
    assert total.is_total
    assert (total.eligible, total.started, total.drafts, total.sent) == (6, 3, 1, 2)
    assert (total.population, total.population_covered) == (40_000, 7_000)
    assert other.label == "Autre structure (hors liste officielle)"
    assert (other.eligible, other.started, other.drafts, other.sent) == (None, 2, 1, 1)
    assert other.rate is None and other.population_share is None


def test_a_collectivite_added_to_the_list_after_the_freeze_counts_as_outside_the_frame(
    collecting,
):
    newcomer = CollectiviteFactory(name="Commune nouvelle", population=2000)
    ResponseFactory(edition=collecting.edition, collectivite=newcomer)
    rows = list(coverage_rows(collecting, "strate"))
    assert rows[-2].eligible == 6 and rows[-2].started == 3
    assert rows[-1].started == 3


def test_coverage_per_region_and_per_departement(collecting):
    regions = by_code(coverage_rows(collecting, "region"))
    assert (regions["84"].label, regions["84"].eligible, regions["84"].sent) == (
        "Auvergne-Rhône-Alpes", 5, 1,
    )  # fmt: skip
    assert (regions["11"].eligible, regions["11"].sent) == (1, 1)
    departements = by_code(coverage_rows(collecting, "departement"))
    assert (departements["69"].eligible, departements["91"].eligible) == (5, 1)


def test_responses_per_day_fill_the_days_without_any_in_paris_time(collecting):
    edition = collecting.edition
    late = datetime.datetime(2025, 6, 4, 23, 30, tzinfo=PARIS)  # 21:30 UTC: still the 4th
    ResponseFactory(edition=edition, other_structure_name="Syndicat",
                    status=ResponseStatus.SUBMITTED, submitted_at=late)  # fmt: skip
    series = responses_per_day(edition)
    sent = {day: n for day, _, n in series}
    assert sent[datetime.date(2025, 6, 2)] == 3
    assert sent[datetime.date(2025, 6, 3)] == 0
    assert sent[datetime.date(2025, 6, 4)] == 1


def observatoire_client(client):
    user = User.objects.create_user("observatoire", is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(user)
    return client


def test_the_observatoire_group_sees_the_coverage_page_with_its_table_and_chart(client, collecting):
    page = observatoire_client(client).get(reverse("admin:results_coverage"), {"objectif": "30"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<caption" in html and 'scope="col"' in html and "<svg" in html
    assert "Sous l’objectif" in html
    assert "Autre structure (hors liste officielle)" in html
    assert 'class="under-target' in html
    assert "style=" not in html.split("<body", 1)[1]
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:results_coverage") in index


def test_staff_outside_the_observatoire_group_may_not_see_the_coverage_page(client, collecting):
    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    assert client.get(reverse("admin:results_coverage")).status_code == 403
    assert (
        reverse("admin:results_coverage") not in client.get(reverse("admin:index")).content.decode()
    )


def test_a_bad_target_rate_gets_a_french_message_and_the_default_target(client, collecting):
    page = observatoire_client(client).get(reverse("admin:results_coverage"), {"objectif": "abc"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Saisissez un pourcentage, par exemple 10 ou 12,5." in html
    assert "Objectif\u00a0: 10,0\u00a0%" in html
    page = client.get(reverse("admin:results_coverage"), {"objectif": "150"})
    assert page.status_code == 200
    assert "inférieure ou égale à 100" in page.content.decode()


def test_an_unknown_edition_is_a_404_not_a_500(client, collecting):
    observatoire_client(client)
    for year in ["1999", "abc"]:
        page = client.get(reverse("admin:results_coverage"), {"edition": year})
        assert page.status_code == 404


def test_the_csv_download_holds_the_same_rows_as_the_tables(client, collecting):
    response = observatoire_client(client).get(
        reverse("admin:results_coverage"), {"objectif": "30", "format": "csv"}
    )
    assert response["Content-Disposition"] == 'attachment; filename="suivi-collecte-2025.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [[str(cell) if cell is not None else "" for cell in row]
                    for row in csv_rows(collecting, 30)]  # fmt: skip
    small = next(row for row in rows if row[1] == "commune-lt3500")
    assert small[3:8] == ["4", "1", "0", "1", "25.0"] and small[-1] == "oui"
    assert sum(1 for row in rows if row[1] == "autre") == 3  # once per level


def test_the_page_freezes_the_frame_of_an_edition_that_has_just_opened(client):
    edition = EditionFactory(year=2025, opens_at=timezone.now() + datetime.timedelta(hours=1),
                             closes_at=timezone.now() + datetime.timedelta(days=60))  # fmt: skip
    CollectiviteFactory(name="Village", population=500)
    observatoire_client(client)
    page = client.get(reverse("admin:results_coverage"))
    assert "n’est pas encore figée" in page.content.decode()
    assert not Frame.objects.exists()
    with time_machine.travel(edition.opens_at + datetime.timedelta(minutes=5)):
        page = client.get(reverse("admin:results_coverage"))
    assert Frame.objects.get(edition=edition).collectivite_count == 1
    assert "1 collectivités éligibles" in page.content.decode()


def test_a_target_rate_written_the_french_way_is_understood(client, collecting):
    page = observatoire_client(client).get(reverse("admin:results_coverage"), {"objectif": "12,5"})
    html = page.content.decode()
    assert "Objectif\u00a0: 12,5\u00a0%" in html
    assert "objectif=12.5&amp;format=csv" in html


# -- Issue 24: the level kept beside a bad rate, dated ticks, the breadcrumb, the drop-off ----


def test_a_bad_target_rate_keeps_the_chosen_level_and_says_what_is_wrong(client, collecting):
    page = observatoire_client(client).get(
        reverse("admin:results_coverage"), {"niveau": "departement", "objectif": "abc"}
    )
    html = page.content.decode()
    assert "Saisissez un pourcentage, par exemple 10 ou 12,5." in html
    assert "Couverture par département" in html
    assert "commune-lt3500" not in html
    assert 'value="departement" selected' in html


def test_the_daily_chart_has_dated_ticks_and_the_breadcrumb_is_the_admin_s_list(client, collecting):
    html = observatoire_client(client).get(reverse("admin:results_coverage")).content.decode()
    assert 'data-testid="chart-date"' in html and ">2 juin</text>" in html
    assert '<ol class="breadcrumbs"><li><a href="/admin/">Accueil</a></li>' in html
    assert '<li aria-current="page">Suivi de la collecte</li>' in html


def test_dated_ticks_are_at_most_six_and_start_on_the_first_day():
    days = [datetime.date(2025, 5, 5) + datetime.timedelta(days=n) for n in range(40)]
    drawn = chart([(day, 1, 0) for day in days])
    assert 2 <= len(drawn["ticks"]) <= 6
    assert drawn["ticks"][0]["day"] == days[0]
    assert all(30 <= tick["label_x"] <= drawn["width"] - 30 for tick in drawn["ticks"])


@pytest.fixture
def pages(collecting):
    edition = collecting.edition
    return [SectionFactory(edition=edition, slug=slug, position=n)
            for n, slug in enumerate(["profil", "usages", "attentes"], start=1)]  # fmt: skip


def test_the_funnel_counts_who_reached_validated_and_stopped_at_each_page(pages, collecting):
    responses = list(collecting.edition.responses.order_by("pk"))
    validated = [["profil", "usages", "attentes"], ["profil"], [], ["profil", "usages"], []]
    for response, done in zip(responses, validated, strict=True):
        response.completed_sections = done
        response.save(update_fields=["completed_sections"])
    rows = funnel(collecting.edition)
    # By hand: all 5 reach page 1, 3 validate it; those 3 reach page 2, 2 validate it; ...
    assert [(row.reached, row.finished, row.left) for row in rows] == [(5, 3, 2), (3, 2, 1),
                                                                       (2, 1, 1)]  # fmt: skip
    assert rows[0].left_share == 40
    drawn = funnel_chart(rows)
    assert [bar["finished_width"] for bar in drawn["bars"]] == [384.0, 256.0, 128.0]


def test_the_coverage_page_shows_the_funnel_as_a_table_and_a_chart(client, pages, collecting):
    collecting.edition.responses.update(completed_sections=["profil"])
    html = observatoire_client(client).get(reverse("admin:results_coverage")).content.decode()
    assert "Abandons page par page" in html
    table = html.split('data-testid="funnel-table"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">1. ' in table and '<td class="number">5</td>' in table
    assert 'data-testid="funnel-chart"' in html

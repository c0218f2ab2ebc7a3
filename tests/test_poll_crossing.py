import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from time_machine import travel

from poll.crossing import HEADER, crossed_rows, declared_crossings, iter_table
from survey.questionnaire.models import Edition
from survey.typography import typeset
from tests.helpers.database import kept_for_the_module
from tests.helpers.poll import BEFORE, SOURCE, WEIGHED, weigh_both_sides

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def weighed_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both sides weighted (tests/helpers/poll.py), built once for the module."""
    with kept_for_the_module(django_db_blocker):
        with django_db_blocker.unblock(), travel(BEFORE, tick=False) as clock:
            poll, barometer = weigh_both_sides(clock, tmp_path_factory.mktemp("marges"))
        yield poll.pk, barometer.pk


@pytest.fixture
def both_sides(weighed_once, time_machine):
    """Each test sees both sides as weighed, with the clock still on the day of weighing."""
    time_machine.move_to(WEIGHED, tick=False)
    return tuple(Edition.objects.get(pk=pk) for pk in weighed_once)


def test_the_crossings_are_the_pairs_declared_in_the_poll_file(both_sides):
    crossings = declared_crossings(2025)
    assert [(c.citizens.code, c.collectivites.code) for c in crossings] == [
        ("risques", "diff_risques")
    ]


def test_the_crossed_table_shows_both_sides_with_their_intervals(both_sides):
    rows = crossed_rows(2025)
    biais = next(
        row
        for row in rows
        if row["domain"] == "Ensemble" and row["row"] == "biais"
        and row["choice"] == "tres_preoccupant"
    )  # fmt: skip
    citizens, collectivites = biais["citizens"], biais["collectivites"]
    assert citizens.value == pytest.approx(0.5)
    assert citizens.base_n == 60
    assert citizens.low < 0.5 < citizens.high
    assert collectivites.value == pytest.approx(40 / 60)
    assert collectivites.low < collectivites.value < collectivites.high
    assert biais["row_label"] == "Biais et discriminations envers certains usagers"
    assert biais["choice_label"] == "Très préoccupant"


def test_a_figure_withheld_in_the_stored_results_stays_hidden_on_the_public_crossing(both_sides):
    from results.models import Estimate, Reliability

    Estimate.objects.filter(
        question__code="diff_risques", domain="toutes", row_code="biais"
    ).update(reliability=Reliability.WITHHELD)
    rows = [row for row in crossed_rows(2025) if row["domain"] == "Ensemble"]
    biais = [row["collectivites"] for row in rows if row["row"] == "biais"]
    assert biais and all(side.reliability == Reliability.WITHHELD for side in biais)
    assert all(side.line("x", "collectivites", public=True).suppressed for side in biais)
    erreurs = [row["collectivites"] for row in rows if row["row"] == "erreurs"]
    assert all(side.reliability != Reliability.WITHHELD for side in erreurs)


def test_the_attention_row_is_left_out_of_the_crossing(both_sides):
    assert "controle_attention" not in {row["row"] for row in crossed_rows(2025)}


def test_a_declared_crossing_whose_counterpart_is_missing_is_named_not_dropped(both_sides, client):
    poll, _ = both_sides
    poll.questions.filter(code="risques").update(crosses_question="risques_disparus")
    (crossing,) = declared_crossings(2025)
    assert crossing.collectivites is None
    assert crossed_rows(2025) == []
    client.force_login(User.objects.create_superuser("admin"))
    html = client.get("/admin/poll/participation/croisement/2025/").content.decode()
    missing = html[html.index('data-testid="missing-crossing"') :]
    assert "risques_disparus" in missing[: missing.index("</p>")]


def test_the_crossed_table_goes_by_region_and_size_of_commune(both_sides):
    domains = {row["domain"] for row in crossed_rows(2025)}
    assert {"Ensemble", "Région Bretagne", "Communes de moins de 3 500 habitants"} <= domains


def test_the_crossed_table_exports_with_a_header_and_one_line_per_pair(both_sides):
    table = list(iter_table(2025))
    assert table[0] == HEADER
    assert len(table) == 1 + len(crossed_rows(2025))
    assert all(len(line) == len(HEADER) for line in table)


def test_staff_read_the_crossed_bars_and_table_and_download_it(both_sides, client, tmp_path):

    from tests.helpers.html import nu_problems

    client.force_login(User.objects.create_superuser("admin"))
    page = client.get("/admin/poll/participation/croisement/2025/")
    html = page.content.decode()
    assert 'data-testid="crossing-table"' in html
    assert html.count('<div class="results-chart" role="img"') == 8  # one chart per crossed row
    # Citizens 50 % (30 of 60) very worried by bias, collectivités 40 of 60.
    assert "Très préoccupant — citoyens" in html and "Très préoccupant — collectivités" in html
    assert "50,0\u00a0%" in html and "66,7\u00a0%" in html
    assert nu_problems([("crossing", html)], tmp_path) == []
    region = client.get(
        "/admin/poll/participation/croisement/2025/", {"domaine": "Région Bretagne"}
    )
    assert "<h2>Région Bretagne</h2>" in region.content.decode()
    download = client.get("/admin/poll/participation/croisement/2025/", {"format": "csv"})
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == HEADER
    command = io.StringIO()
    call_command("export_poll_crossing", "--year", "2025", stdout=command)
    assert list(csv.reader(io.StringIO(command.getvalue()))) == list(csv.reader(io.StringIO(text)))


def test_the_staff_results_page_links_to_the_crossed_page(both_sides, client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("admin"))
    html = client.get("/admin/resultats/", {"edition": 2025}).content.decode()
    assert 'href="/admin/poll/participation/croisement/2025/"' in html


def test_the_crossed_table_is_for_staff_who_read_results(both_sides, client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    assert client.get("/admin/poll/participation/croisement/2025/").status_code == 403


def test_the_public_crossing_waits_for_the_collectivites_question_to_be_published(
    both_sides, client
):
    page = client.get("/resultats/2025/citoyens-et-collectivites/")
    assert page.status_code == 404
    assert "Pas encore de regards croisés" in page.content.decode()


def test_the_public_crossing_shows_both_sides_with_intervals_once_published(
    both_sides, client, tmp_path
):
    from results.models import Publication
    from tests.helpers.html import nu_problems

    _, barometer = both_sides
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )
    page = client.get("/resultats/2025/citoyens-et-collectivites/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<div class="results-chart" role="img"') == 8
    assert "50,0\u00a0%" in html and "66,7\u00a0%" in html
    assert "Pour vérifier votre attention" not in html
    region = client.get(
        "/resultats/2025/citoyens-et-collectivites/", {"domaine": "Région Bretagne"}
    )
    assert "Région Bretagne" in region.content.decode()
    assert nu_problems([("public-crossing", html)], tmp_path) == []


def test_the_public_results_link_to_the_crossing_only_when_it_is_shown(both_sides, client):
    from results.models import Publication

    _, barometer = both_sides
    Publication.objects.create(edition=barometer, question=barometer.questions.get(code="usage_ia"))
    link = 'href="/resultats/2025/citoyens-et-collectivites/"'
    assert link not in client.get("/resultats/2025/").content.decode()
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )
    assert link in client.get("/resultats/2025/").content.decode()


def test_both_crossed_pages_say_how_the_citizens_were_weighted_and_on_which_tables(
    both_sides, client
):
    from results.models import Publication

    _, barometer = both_sides
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )
    source = SOURCE
    public = client.get("/resultats/2025/citoyens-et-collectivites/").content.decode()
    assert "60 réponses complètes, pondérées le 1 août 2025" in public
    for criterion in ["âge × sexe", "région", "taille de la commune de résidence"]:
        assert typeset(f"{criterion} : {source}") in public
    client.force_login(User.objects.create_superuser("equipe"))
    staff = client.get("/admin/poll/participation/croisement/2025/").content.decode()
    assert "60 réponses complètes, pondérées le 1 août 2025" in staff


def test_each_side_of_a_crossed_figure_shows_the_options_count_and_its_base(both_sides, client):
    from results.models import Publication

    _, barometer = both_sides
    Publication.objects.create(
        edition=barometer, question=barometer.questions.get(code="diff_risques")
    )

    def table_of(html):
        """The table of the « biais » row, the one both sides answered apart."""
        tables = html.split('data-testid="crossing-table"')[1:]
        (table,) = [t.split("</table>", 1)[0] for t in tables if ">Biais et discri" in t[:400]]
        headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
        row = table[table.index("Très préoccupant</th>") :].split("</tr>", 1)[0]
        return headers, re.findall(r"<td[^>]*>([^<]*)</td>", row)

    public = client.get("/resultats/2025/citoyens-et-collectivites/").content.decode()
    headers, cells = table_of(public)
    assert headers == [
        "Réponse",
        "Citoyens",
        "IC à 95 % (citoyens)",
        "Effectif (option, citoyens)",
        "Base (répondants, citoyens)",
        "Collectivités",
        "IC à 95 % (collectivités)",
        "Effectif (option, collectivités)",
        "Base (répondants, collectivités)",
    ]
    assert "l’effectif de la réponse (répondants qui l’ont donnée) et sa base" in public
    # Citizens: 30 of 60 very worried by bias; collectivités: 40 of 60; both published.
    assert (cells[2], cells[3]) == ("30", "60")
    assert (cells[6], cells[7]) == ("40", "60")
    client.force_login(User.objects.create_superuser("equipe"))
    _, cells = table_of(client.get("/admin/poll/participation/croisement/2025/").content.decode())
    assert (cells[2], cells[3]) == ("30", "60")
    assert (cells[6], cells[7]) == ("40", "60")

"""Every page that lists or shows editions, on the configuration that ships (two editions of
2025: the barometer and the citizens' poll; 2023 known by its published table), with the 2025
barometer's results computed from seeded responses (tests/shipped.py)."""

import datetime
import io
import tomllib

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.urls import reverse

from results.crosstab import crossing_questions
from results.models import Computation, Estimate, Publication
from survey.questionnaire.models import BAROMETER_SURVEY, Edition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped_results")]

POLL_SURVEY = "sondage-citoyens"
LATER = datetime.datetime(2027, 1, 31, 23, 59, 59, tzinfo=datetime.UTC)
AFTER_THE_CLOSE = datetime.datetime(2025, 9, 1, 9, tzinfo=datetime.UTC)


def barometer_2025():
    return Edition.objects.for_year(2025, BAROMETER_SURVEY)


def barometer_2025_codes():
    """Every question of the 2025 barometer, in questionnaire order (read once, at collection)."""
    return list(
        Edition.objects.for_year(2025, BAROMETER_SURVEY)
        .questions.order_by("section__position", "position")
        .values_list("code", flat=True)
    )


@pytest.fixture
def published():
    """Every 2025 barometer question that has estimates is published (staff's choice)."""
    edition = barometer_2025()
    questions = edition.questions.filter(
        pk__in=Estimate.objects.filter(computation__edition=edition).values("question")
    )
    Publication.objects.bulk_create(
        Publication(edition=edition, question=question) for question in questions
    )
    return edition


# -- The shipped configuration really has two editions of 2025 ---------------------------------


def test_two_surveys_share_2025_and_the_results_are_the_barometer_s(shipped_results):
    assert Edition.objects.for_year(2025, POLL_SURVEY) is not None
    assert shipped_results.edition == barometer_2025()
    assert shipped_results.respondent_count > 0
    assert shipped_results.estimates.exists()


# -- Staff results pages (a superuser) --------------------------------------------------------


def test_the_staff_results_index_lists_the_barometer_s_questions(admin_client):
    page = admin_client.get(reverse("admin:results_index"))
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()
    assert [entry["question"].code for entry in page.context["questions"]] == (
        barometer_2025_codes()
    )
    assert list(page.context["editions"]) == [barometer_2025()]
    assert page.context["poll_edition"] == Edition.objects.for_year(2025, POLL_SURVEY)


@pytest.mark.parametrize("year", [2025, 2023])
def test_the_staff_results_index_of_each_barometer_edition_answers(admin_client, year):
    page = admin_client.get(reverse("admin:results_index"), {"edition": year})
    assert page.status_code == 200
    assert page.context["edition"] == Edition.objects.for_year(year, BAROMETER_SURVEY)
    # 2023 is known by its published table only: no computation of its own.
    assert (page.context["computation"] is not None) == (year == 2025)


def test_the_staff_results_index_says_404_for_a_year_the_barometer_never_had(admin_client):
    assert admin_client.get(reverse("admin:results_index"), {"edition": 2024}).status_code == 404


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_staff_download_every_estimate_of_2025(admin_client, file_format):
    page = admin_client.get(reverse("admin:results_index"), {"format": file_format})
    assert page.status_code == 200
    assert "estimations-2025" in page["Content-Disposition"]


def test_every_question_page_of_the_2025_barometer_answers(admin_client):
    codes = barometer_2025_codes()
    assert len(codes) > 40
    failures = {}
    for code in codes:
        page = admin_client.get(reverse("admin:results_question", args=[2025, code]))
        if page.status_code != 200:
            failures[code] = page.status_code
    assert failures == {}


def test_a_question_of_the_poll_is_not_a_barometer_page(admin_client):
    poll_only = (
        Edition.objects.for_year(2025, POLL_SURVEY)
        .questions.exclude(code__in=barometer_2025_codes())
        .values_list("code", flat=True)
        .first()
    )
    page = admin_client.get(reverse("admin:results_question", args=[2025, poll_only]))
    assert page.status_code == 404


@pytest.mark.parametrize(
    "code", ["usage_ia", "orga_charte_iag", "diff_risques", "usage_ia_impacts"]
)
def test_cross_tabs_of_2025_answer_with_their_tables(admin_client, code):
    question = barometer_2025().questions.get(code=code)
    others = list(crossing_questions(question)[:3])
    assert others
    for other in others:
        url = reverse("admin:results_question", args=[2025, code])
        page = admin_client.get(url, {"croiser": other.code})
        assert page.status_code == 200, other.code
        assert page.context["other"] == other
        assert page.context["cross_tables"] or page.context["cross_error"]


def test_a_question_page_downloads_its_estimates(admin_client):
    url = reverse("admin:results_question", args=[2025, "usage_ia"])
    page = admin_client.get(url, {"format": "csv"})
    assert page.status_code == 200
    assert "estimations-2025-usage_ia" in page["Content-Disposition"]


def test_the_publication_page_shows_and_saves_the_2025_barometer_s_choice(admin_client):
    url = reverse("admin:results_publication", args=[2025])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()
    saved = admin_client.post(url, {"questions": ["usage_ia", "orga_charte_iag"]})
    assert saved.status_code == 302
    assert set(
        Publication.objects.filter(edition=barometer_2025()).values_list(
            "question__code", flat=True
        )
    ) == {"usage_ia", "orga_charte_iag"}


def test_the_publication_page_of_2023_answers_too(admin_client):
    page = admin_client.get(reverse("admin:results_publication", args=[2023]))
    assert page.status_code == 200
    assert page.context["edition"] == Edition.objects.for_year(2023, BAROMETER_SURVEY)


@pytest.mark.parametrize("domain", ["toutes", "3500-plus", "type:commune", "type:region"])
def test_the_staff_trends_of_2025_answer_in_each_domain(admin_client, domain):
    page = admin_client.get(reverse("admin:results_trends", args=[2025]), {"domaine": domain})
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()
    assert page.context["domain"] == domain


def test_the_staff_trends_of_2025_set_usage_ia_beside_2023(admin_client):
    page = admin_client.get(reverse("admin:results_trends", args=[2025]))
    assert any(trend.question.code == "usage_ia" for trend in page.context["trends"])


def test_the_staff_trends_of_2023_say_there_is_nothing_computed(admin_client):
    page = admin_client.get(reverse("admin:results_trends", args=[2023]))
    assert page.status_code == 200
    assert page.context["computation"] is None


@pytest.mark.parametrize("query", [{}, {"edition": 2025}])
def test_the_coverage_page_follows_the_barometer_s_editions(admin_client, query):
    page = admin_client.get(reverse("admin:results_coverage"), query)
    assert page.status_code == 200
    assert page.context["edition"].survey.code == BAROMETER_SURVEY


def test_the_staff_crossed_page_of_2025_answers(admin_client):
    page = admin_client.get(reverse("admin:poll_crossing", args=[2025]))
    assert page.status_code == 200


# -- Public pages -----------------------------------------------------------------------------


def test_the_2025_results_are_not_public_before_staff_publish_a_question(client):
    for name in ["results_public", "results_methodology", "results_trends"]:
        page = client.get(reverse(name, args=[2025]))
        assert page.status_code == 404, name
        assert page.templates[0].name == "results/public_unavailable.html"


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize("name", ["results_public", "results_methodology", "results_trends"])
def test_the_published_2025_pages_answer(client, name):
    page = client.get(reverse(name, args=[2025]))
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize("domain", ["3500-plus", "type:commune", "type:epci"])
def test_the_published_2025_results_answer_in_other_domains(client, domain):
    page = client.get(reverse("results_public", args=[2025]), {"domaine": domain})
    assert page.status_code == 200
    assert page.context["sections"]


@pytest.mark.parametrize("name", ["results_public", "results_methodology"])
def test_2023_is_shown_re_estimated_from_its_published_table(client, name):
    # 2023 was collected elsewhere; only its published table is loaded (docs/editions.md).
    page = client.get(reverse(name, args=[2023]))
    assert page.status_code == 200
    assert page.context["edition"] == Edition.objects.for_year(2023, BAROMETER_SURVEY)
    assert "Total pondéré publié en 2023" in page.content.decode()


def test_a_year_without_a_barometer_edition_has_no_results_page(client):
    assert client.get(reverse("results_public", args=[2024])).status_code == 404


def test_the_crossed_page_waits_for_a_crossed_question_to_be_published(client):
    page = client.get(reverse("poll:public_crossing", args=[2025]))
    assert page.status_code == 404
    assert "Pas encore de regards croisés" in page.content.decode()


def test_the_crossed_page_of_2025_answers_once_a_crossed_question_is_published_and_stored(
    client,
):
    edition = barometer_2025()
    Publication.objects.create(edition=edition, question=edition.questions.get(code="diff_risques"))
    # The public page reads stored figures only (issue 23, point 11): none yet, no page.
    assert client.get(reverse("poll:public_crossing", args=[2025])).status_code == 404
    call_command("compute_crossing", "--year", "2025", stdout=io.StringIO())
    page = client.get(reverse("poll:public_crossing", args=[2025]))
    assert page.status_code == 200
    # The poll has no accepted weights in what ships: its side is not published, and says so.
    assert 'data-testid="citizens-not-published"' in page.content.decode()


def test_the_2025_use_case_catalogue_answers_after_the_close(client, time_machine):
    # The shipped 2025 barometer closed on 11 July 2025: a day after, whatever the day it runs.
    time_machine.move_to(AFTER_THE_CLOSE)
    page = client.get(reverse("use_case_catalogue", args=[2025]))
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()


def test_the_poll_entry_says_no_poll_is_running_without_fieldwork(client):
    # What ships loads the poll's questionnaire but opens no fieldwork (docs/poll.md).
    page = client.get(reverse("poll:arrive"), {"pid": "panel-1"})
    assert page.status_code == 404
    assert "Aucun sondage n’est en cours." in page.content.decode()


@pytest.mark.parametrize("name", ["home", "privacy"])
def test_the_home_and_privacy_pages_show_the_barometer_s_2025_edition(client, name):
    page = client.get(reverse(name))
    assert page.status_code == 200
    assert page.context["edition"] == barometer_2025()


# -- Commands name the survey of the edition they work on -------------------------------------

BAROMETER_COMMANDS = [
    ("results", "freeze_frame"),
    ("results", "compute_results"),
    ("survey", "seed_responses"),
    ("survey", "prepare_next_edition"),
    ("editions", "import_published_counts"),
    ("survey", "export_responses"),
]


def help_of(app, name):
    return load_command_class(app, name).create_parser("manage.py", name).format_help()


@pytest.mark.parametrize(("app", "name"), BAROMETER_COMMANDS)
def test_commands_that_take_a_year_say_they_default_to_the_barometer(app, name):
    # argparse wraps lines, at spaces and after hyphens: compare without any white space.
    text = "".join(help_of(app, name).split())
    assert "--surveySURVEY" in text
    assert "défaut:«barometre-ia-collectivites»,lebaromètredescollectivités" in text


def test_set_edition_dates_has_no_default_survey():
    text = "".join(help_of("survey", "set_edition_dates").split())
    assert "--surveySURVEY" in text and "obligatoiresiplusieursenquêtes" in text
    assert "défaut" not in text


def dates():
    return sorted(
        Edition.objects.filter(year=2025)
        .values_list("survey__code", "opens_at", "closes_at")
        .order_by("survey__code")
    )


def test_set_edition_dates_never_guesses_between_the_two_editions_of_2025():
    before = dates()
    with pytest.raises(CommandError, match="Plusieurs enquêtes ont une édition 2025") as refused:
        call_command("set_edition_dates", year=2025, closes_at=LATER, stdout=io.StringIO())
    assert "« barometre-ia-collectivites »" in str(refused.value)
    assert "« sondage-citoyens »" in str(refused.value)
    assert "--survey" in str(refused.value)
    assert dates() == before


@pytest.mark.parametrize(("survey", "other"), [(POLL_SURVEY, BAROMETER_SURVEY),
                                               (BAROMETER_SURVEY, POLL_SURVEY)])  # fmt: skip
def test_set_edition_dates_changes_the_edition_of_the_survey_named_only(survey, other):
    untouched = Edition.objects.for_year(2025, other).closes_at
    out = io.StringIO()
    call_command("set_edition_dates", year=2025, survey=survey, closes_at=LATER, stdout=out)
    assert Edition.objects.for_year(2025, survey).closes_at == LATER
    assert Edition.objects.for_year(2025, other).closes_at == untouched
    assert f"({survey})" in out.getvalue()


def test_set_edition_dates_takes_the_only_edition_of_a_year_and_names_its_survey():
    out = io.StringIO()
    call_command("set_edition_dates", year=2023, closes_at=LATER, stdout=out)
    assert Edition.objects.for_year(2023, BAROMETER_SURVEY).closes_at == LATER
    assert "(barometre-ia-collectivites)" in out.getvalue()


def test_an_unknown_survey_is_named_with_the_known_ones():
    with pytest.raises(CommandError, match="Enquête inconnue : « sondage » \\(enquêtes : "):
        call_command("set_edition_dates", year=2025, survey="sondage", closes_at=LATER)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("freeze_frame", {}),
        ("compute_results", {}),
        ("seed_responses", {"count": 1}),
        ("import_published_counts", {"table": "x.csv", "national": "y.csv"}),
    ],
)
def test_commands_made_for_the_collectivites_refuse_the_citizens_poll(name, options):
    args = [options.pop("table")] if "table" in options else []
    with pytest.raises(CommandError, match="s'adresse aux citoyens"):
        call_command(name, *args, edition=2025, survey=POLL_SURVEY, **options)


def test_compute_results_without_survey_computes_the_barometer_s_2025(shipped_results):
    call_command("compute_results", edition=2025, stdout=io.StringIO())
    latest = Computation.objects.current(barometer_2025())
    assert latest.pk != shipped_results.pk
    assert latest.respondent_count == shipped_results.respondent_count
    assert not Computation.objects.filter(edition__survey__code=POLL_SURVEY).exists()


def test_freeze_frame_finds_the_barometer_s_frame_already_frozen():
    with pytest.raises(CommandError, match="La base de sondage de l'édition 2025 est déjà figée"):
        call_command("freeze_frame", edition=2025, survey=BAROMETER_SURVEY)


def test_seed_responses_adds_to_the_barometer_edition_named():
    before = barometer_2025().responses.count()
    call_command("seed_responses", count=3, edition=2025, seed=1, stdout=io.StringIO())
    assert barometer_2025().responses.count() == before + 3


def test_prepare_next_edition_of_the_poll_writes_the_poll_s_file(tmp_path):
    output = tmp_path / "citoyens-2026.toml"
    call_command(
        "prepare_next_edition", edition=2025, survey=POLL_SURVEY, output=str(output),
        stdout=io.StringIO(),
    )  # fmt: skip
    written = tomllib.loads(output.read_text(encoding="utf-8"))
    assert written["survey"]["code"] == POLL_SURVEY
    assert written["edition"]["year"] == 2026


def test_prepare_next_edition_refuses_a_year_the_survey_already_has(tmp_path):
    with pytest.raises(CommandError, match="L'édition 2025 de « barometre-ia-collectivites »"):
        call_command("prepare_next_edition", edition=2023, year=2025, output=str(tmp_path / "x"))


@pytest.mark.parametrize(("survey", "code"), [(None, "usage_ia"), (POLL_SURVEY, "risques")])
def test_export_responses_exports_the_edition_of_the_survey_named(tmp_path, survey, code):
    output = tmp_path / "export.csv"
    options = {"survey": survey} if survey else {}
    call_command(
        "export_responses", edition=2025, format="csv", output=str(output), status="all",
        stderr=io.StringIO(), **options,
    )  # fmt: skip
    header = output.read_text(encoding="utf-8").splitlines()[0]
    assert code in header
    assert ("usage_ia" in header) == (survey is None)

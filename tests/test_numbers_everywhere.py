"""The same figure prints the same everywhere, on the configuration that ships: the public
results page, the staff question page, the trends pages and the estimates' export write an
estimate, its interval, its count and its base through one formatter (survey/numbers.py); and
no other formatter is left in the code."""

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from results.models import Computation, Estimate, Publication, Reliability, Statistic
from results.presentation import interval_text, value_text
from survey import numbers
from survey.questionnaire.models import Edition
from survey.typography import typeset

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRES = ["2023.toml", "2025.toml", "citoyens-2025.toml"]
QUESTION = "usage_ia"  # published, and comparable with 2023: on every page


def load_as_make_run_does():
    """The Makefile's `load`: every questionnaire, the 2023 published table, the official list
    (tests/shipped.py on branch i22-editions reads them from the Makefile itself)."""
    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command(
        "load_questionnaire", *(ROOT / "questionnaires" / name for name in QUESTIONNAIRES), **quiet
    )
    call_command(
        "import_published_counts",
        ROOT / "data" / "published-2023.csv",
        edition=2023,
        national=ROOT / "data" / "national-counts-2023.csv",
        **quiet,
    )
    call_command("load_collectivites", **quiet)
    call_command("freeze_frame", edition=2025, **quiet)
    call_command("seed_responses", count=400, edition=2025, submitted_share=1, seed=22, **quiet)
    call_command("compute_results", edition=2025, **quiet)


@pytest.fixture(scope="module")
def shipped_results(django_db_setup, django_db_blocker):
    """The configuration `make run` loads, 2025 seeded and computed, `usage_ia` published:
    once for the module, in a transaction rolled back at its end (each test's own is a
    savepoint inside it)."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            load_as_make_run_does()
            edition = Edition.objects.for_year(2025, "barometre-ia-collectivites")
            Publication.objects.create(
                edition=edition, question=edition.questions.get(code=QUESTION)
            )
            computation = Computation.objects.current(edition)
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield computation
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


class Tables(HTMLParser):
    """Every table of a page: its caption, its header row and its rows, as the reader reads
    them (texts with their spaces collapsed; no-break spaces kept)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tables = []
        self.cell = None
        self.row = None
        self.caption = None
        self.in_head = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": []})
        elif tag == "caption":
            self.caption = []
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self.caption is not None:
            self.tables[-1]["caption"] = squeeze("".join(self.caption))
            self.caption = None
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(squeeze("".join(self.cell)))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            table = self.tables[-1]
            (table["head"].extend if self.in_head else table["rows"].append)(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        elif self.caption is not None:
            self.caption.append(data)


def squeeze(text):
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def tables_of(response):
    assert response.status_code == 200
    return Tables(response.content.decode()).tables


def row_of(table, label):
    (row,) = [row for row in table["rows"] if row[0] == label]
    return dict(zip(table["head"], row, strict=True))


@pytest.fixture
def estimates(shipped_results):
    """The published question's proportions for all collectivités, publishable ones only, by
    label of their option."""
    question = shipped_results.edition.questions.get(code=QUESTION)
    labels = question.kind_class.option_labels(question) | {
        choice.code: choice.label for choice in question.choices.all()
    }
    found = Estimate.objects.filter(
        computation=shipped_results,
        question=question,
        domain="toutes",
        statistic=Statistic.PROPORTION,
    ).exclude(reliability=Reliability.SUPPRESSED)
    assert found, "the seeded results publish some figure of usage_ia"
    return {labels[estimate.choice_code]: estimate for estimate in found}


@pytest.fixture
def staff(client):
    user = User.objects.create_user("analyste", is_staff=True)
    user.groups.add(Group.objects.get(name="Observatoire"))
    client.force_login(user)
    return client


def question_table(tables, text):
    """The table whose caption starts with `text` (as the typography middleware sets it)."""
    (table,) = [table for table in tables if table["caption"].startswith(typeset(text))]
    return table


def test_an_estimate_prints_the_same_on_the_public_and_staff_pages_the_trends_and_the_export(
    shipped_results, estimates, client, staff
):
    question = shipped_results.edition.questions.get(code=QUESTION)
    public = question_table(
        tables_of(client.get(reverse("results_public", args=[2025]))), question.text
    )
    staff_page = staff.get(reverse("admin:results_question", args=[2025, QUESTION]))
    staff_table = question_table(tables_of(staff_page), question.text)
    # The public trend shows a question only when some change passes the rule both years
    # (the shipped 2023 table gives none): staff see every change.
    public_trends = [
        table
        for table in tables_of(client.get(reverse("results_trends", args=[2025])))
        if table["caption"].startswith(typeset(question.text))
    ]
    staff_trend = question_table(
        tables_of(staff.get(reverse("admin:results_trends", args=[2025]))), question.text
    )
    export = staff.get(reverse("admin:results_question", args=[2025, QUESTION]), {"format": "csv"})
    lines = list(
        csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")))
    )

    shown_publicly = {row[0] for table in public_trends for row in table["rows"]}
    for label, estimate in estimates.items():
        value, interval = (
            numbers.percent(estimate.value),
            numbers.percent_interval(estimate.ci_low, estimate.ci_high),
        )
        count, base = numbers.integer(estimate.n), numbers.integer(estimate.base_n)
        assert (value_text(estimate), interval_text(estimate)) == (value, interval)

        shown = row_of(public, label)
        assert shown["Estimation"] == value and shown["Intervalle à 95 %"] == interval
        assert shown["Effectif (option)"] == count and shown["Base (répondants)"] == base

        shown = row_of(staff_table, label)
        assert shown["Estimation pondérée"] == value and shown["IC à 95 %"] == interval
        assert shown["Effectif (option)"] == count and shown["Base (répondants)"] == base

        # The public trend shows an option only when its 2023 side is publishable too.
        trends = [staff_trend] + (public_trends if label in shown_publicly else [])
        for trend in trends:
            shown = row_of(trend, label)
            assert shown["2025 (IC 95 %)"] == f"{value} {interval}"
            assert shown["Effectif 2025 (option)"] == count
            assert shown["Base 2025 (répondants)"] == base

        (line,) = [
            line
            for line in lines
            if line["domaine"] == "toutes" and line["libelle_option"] == label and not line["ligne"]
        ]
        assert (line["texte_estimation"], line["texte_intervalle"]) == (value, interval)
        # The data cells stay numbers, at full precision.
        assert float(line["estimation"]) == estimate.value
        assert (int(line["n"]), int(line["n_base"])) == (estimate.n, estimate.base_n)


def test_the_trends_write_the_2023_side_and_the_change_through_the_same_formatter(
    shipped_results, estimates, staff
):
    from editions.comparison import year_over_year

    question = shipped_results.edition.questions.get(code=QUESTION)
    table = question_table(
        tables_of(staff.get(reverse("admin:results_trends", args=[2025]))), question.text
    )
    (trend,) = [t for t in year_over_year(shipped_results, "toutes") if t.question == question]
    assert trend.changes
    for change in trend.changes:
        shown = row_of(table, change.label)
        earlier = change.earlier
        assert shown["2023 (IC 95 %)"] == (
            f"{numbers.percent(earlier.value)} "
            f"{numbers.percent_interval(earlier.ci_low, earlier.ci_high)}"
        )
        assert shown["Effectif 2023 (option)"] == numbers.integer(earlier.n)
        assert shown["Base 2023 (répondants)"] == numbers.integer(earlier.base_n)
        assert shown["Évolution en points (IC 95 %)"].startswith(
            f"{numbers.points(change.difference)} "
            f"{numbers.points_interval(change.ci_low, change.ci_high)}"
        )


def test_the_methodology_states_the_rule_of_the_code_beside_figures_that_show_their_base(
    shipped_results, client
):
    from results.presentation import publication_rule

    page = client.get(reverse("results_methodology", args=[2025]))
    text = squeeze(re.sub(r"<[^>]+>", " ", page.content.decode())).replace("\u00a0", " ")
    for rule in publication_rule():
        assert squeeze(rule) in text
    # Every figure on the public page shows a count within its base.
    question = shipped_results.edition.questions.get(code=QUESTION)
    for table in tables_of(client.get(reverse("results_public", args=[2025]))):
        if not table["caption"].startswith(typeset(question.text)):
            continue
        for row in table["rows"]:
            shown = dict(zip(table["head"], row, strict=True))
            if shown["Estimation"] != numbers.MISSING:
                count, base = (
                    int(shown[column].replace(numbers.NNBSP, ""))
                    for column in ("Effectif (option)", "Base (répondants)")
                )
                assert 0 <= count <= base


# -- One formatter, nowhere else ------------------------------------------------------------

FORMATTER = ROOT / "survey" / "numbers.py"
# Where the code that people read lives; bench/ and scripts/ write developers' reports.
SCANNED = [
    "barometre",
    "survey",
    "results",
    "editions",
    "poll",
    "campaigns",
    "usecases",
    "templates",
]
LEFTOVERS = {
    "a decimal comma by hand": re.compile(r"""\.replace\(\s*["']\.["']\s*,\s*["'],["']\s*\)"""),
    "thousands by hand": re.compile(r"""\.replace\(\s*["'],["']\s*,\s*["'](?:\\u202f|\\xa0| )"""),
    "a format spec with decimals": re.compile(r"\{[^{}]*:[,_]?\.\d+[fg%]\}"),
    "a format spec with grouping": re.compile(r"\{[^{}]*:[,_]d?\}"),
    "Django's number_format": re.compile(r"\bnumber_format\b"),
    "Django's floatformat": re.compile(r"\|\s*floatformat\b"),
    "humanize's intcomma": re.compile(r"\bintcomma\b"),
}


def leftovers():
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".html", ".txt") or "migrations" in path.parts:
                continue
            if path == FORMATTER:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for name, pattern in LEFTOVERS.items():
                    if pattern.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {name}: {line.strip()}")
    return found


def test_no_number_is_formatted_outside_the_formatter():
    assert leftovers() == []


@pytest.mark.parametrize(
    "line",
    [
        'return f"{value:.1f}".replace(".", ",")',
        "f\"{n:,}\".replace(',', '\\u202f')",
        "{{ share|floatformat:1 }}",
        "number_format(100 * share, 1)",
        'f"{x:_}"',
    ],
)
def test_the_scan_recognises_the_formatters_it_forbids(line):
    assert any(pattern.search(line) for pattern in LEFTOVERS.values())

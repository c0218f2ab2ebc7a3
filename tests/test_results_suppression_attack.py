"""An attacker reads the public results and the open data, and tries to work out the figures
that were not published (issue 22, point 4).

The database is loaded as `make run` loads it (every questionnaire of the Makefile, the 2023
published table, the official list), with sent responses seeded on the 2025 barometer and its
results computed by `compute_results` (the shared fixture of tests/shipped.py), and every
question that may be published published.
The attacker knows only what a reader knows: the questionnaire (which questions are single
choices), the domains of the public page's selector, every public page (parsed from its HTML)
and the estimates of the open-data package. It uses every relation that holds — the options
of a single choice (of a matrix row) add up to 100 % and to the base; all collectivités are
the sum of the types and of the régions, a type the sum of its strata, « 3 500 habitants ou
plus » all collectivités minus the small communes — and linear algebra of its own (exact
rank tests by elimination over the rationals, not results/suppression.py).

With complementary suppression it recovers nothing; with the pass switched off (its withheld
cells published, as before the pass existed) it recovers counts exactly and shares within half
a point: the attacker is able, the pass is what stops it.
"""

import csv
import html
import io
import re
from fractions import Fraction

import pytest
from django.urls import reverse

from results.exports import open_data_estimates
from results.models import Computation, Estimate, Publication, Reliability, Statistic
from survey.questionnaire.kinds.base import OPTIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]

YEAR = 2025


@pytest.fixture(scope="module")
def published(shipped_results, django_db_blocker):
    """The shipped configuration's computed 2025 results (tests/shipped.py: seeded responses,
    `compute_results`), every question that may be published published: the computation."""
    with django_db_blocker.unblock():
        edition = shipped_results.edition
        for question in edition.questions.filter(is_active=True):
            if not question.kind_class.free_text and question.kind_class.estimated_as:
                Publication.objects.get_or_create(edition=edition, question=question)
    return shipped_results


# -- What the attacker reads -----------------------------------------------------------------

ROW = re.compile(r"<tr>\s*(<th scope=\"row\">.*?)</tr>", re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
TABLE = re.compile(r"<caption id=\"table-(?P<slug>[^\"]+)-caption\">.*?</table>", re.S)


def text(fragment):
    """The words of an HTML fragment, spaces plain (the pages set French no-break spaces)."""
    words = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    return " ".join(re.sub(r"[\u00a0\u202f]", " ", words).split())


def number(shown):
    """A figure as the page prints it (« 43,3 % », « 1 204 »), or None for « — »."""
    cleaned = re.sub(r"[\s\u00a0\u202f%]", "", shown).replace(",", ".")
    return None if cleaned in ("", "—") else float(cleaned)


def page_figures(client, questions):
    """{(question, row, domain, option or statistic): (share or value, n)} of every public
    page, (None, None) where the page shows « — »; and the domains of the selector."""
    url = reverse("results_public", args=[YEAR])
    first = client.get(url)
    assert first.status_code == 200
    domains = re.findall(r"<option value=\"([^\"]+)\"", first.content.decode())
    slugs, codes = {}, {}
    for question in questions:
        rows = [item.code for item in question.items.all()] or [""]
        for row in rows:
            slugs[f"{question.code}-{row or 'options'}"] = (question, row)
        codes[question.code] = {text(label): code for code, label in labels(question).items()}
    found = {}
    for domain in domains:
        page = client.get(url, {"domaine": domain}).content.decode()
        for table in TABLE.finditer(page):
            if table.group("slug") not in slugs:  # a number: its mean and median
                continue
            question, row = slugs[table.group("slug")]
            head = [text(cell) for cell in CELL.findall(table.group(0).split("<tbody>")[0])]
            value_at, n_at = head.index("Estimation"), head.index("Effectif (option)")
            for line in ROW.findall(table.group(0)):
                cells = [text(cell) for cell in CELL.findall(line)]
                code = codes[question.code][cells[0]]
                n = number(cells[n_at])
                found[question.code, row, domain, code] = (
                    number(cells[value_at]),
                    None if n is None else int(n),
                )
    return domains, found


def labels(question):
    from results.presentation import line_labels

    choices, statistics, _ = line_labels(question)
    return choices | statistics


def package_figures(edition):
    """{(question, row, domain, option or statistic): (value, n, base)} of the open-data
    package's estimates."""
    _, rows = open_data_estimates(edition)
    reader = csv.DictReader(io.StringIO(b"".join(rows).decode("utf-8")))
    return {
        (
            row["question"],
            row["ligne"],
            row["domaine"],
            row["option"] or row["statistique"],
        ): (float(row["estimation"]), int(row["n"]), int(row["n_base"]))
        for row in reader
    }


# -- How it works things out -----------------------------------------------------------------

STRATA_OF_KIND = {
    "commune": ["commune-lt3500", "commune-3500-10000", "commune-10000-100000",
                "commune-gt100000"],
    "epci": ["epci-cc", "epci-ca", "epci-cu", "epci-metropole"],
    "departement": ["departement"],
    "region": ["region"],
    "statut_particulier": ["statut-particulier"],
}  # fmt: skip


def relations(domains, options, options_add_up):
    """The attacker's own list of the relations between counts: [{(domain, column): ±1}];
    column "" is the base."""
    found = []
    columns = [*options, ""]
    if options_add_up:
        for domain in domains:
            found.append({(domain, o): 1 for o in options} | {(domain, ""): -1})
    groups = [
        ("toutes", [d for d in domains if d.startswith("type:")]),
        ("toutes", [d for d in domains if d.startswith("region:")]),
        ("toutes", [d for d in ("3500-plus", "strate:commune-lt3500") if d in domains]),
    ]
    for kind, strata in STRATA_OF_KIND.items():
        parts = [f"strate:{s}" for s in strata if f"strate:{s}" in domains]
        if len(strata) == 1 and not parts:
            # A kind of one stratum is listed once (« Départements »): its stratum is the same
            # collectivités, not an empty domain.
            continue
        groups.append((f"type:{kind}", parts))
    for whole, parts in groups:
        if whole not in domains:
            continue
        for column in columns:
            relation = {(whole, column): 1}
            for part in parts:
                relation[part, column] = -1
            found.append(relation)
    return found


def solve(relations, known):
    """{unknown cell: its value} for every cell that the relations and the known values pin
    down: Gauss–Jordan elimination over the rationals, rows kept sparse ({cell: coefficient},
    the constant under the key None)."""
    rows = []
    for relation in relations:
        row = {}
        for cell, coefficient in relation.items():
            if cell in known:
                row[None] = row.get(None, 0) - coefficient * known[cell]
            else:
                row[cell] = row.get(cell, 0) + coefficient
        row = {cell: Fraction(value) for cell, value in row.items() if value or cell is None}
        if any(cell is not None for cell in row):
            rows.append(row)
    pivots = []
    for r in range(len(rows)):
        row = rows[r]
        cell = next((c for c in sorted(row, key=str) if c is not None and row[c]), None)
        if cell is None:
            continue
        row = {c: value / row[cell] for c, value in row.items()}
        rows[r] = row
        for i, other in enumerate(rows):
            if i != r and other.get(cell):
                factor = other[cell]
                for c, value in row.items():
                    other[c] = other.get(c, 0) - factor * value
                rows[i] = {c: v for c, v in other.items() if v or c is None}
        pivots.append((r, cell))
    found = {}
    for r, cell in pivots:
        row = rows[r]
        if [c for c in row if c is not None and row[c]] == [cell]:
            found[cell] = row.get(None, Fraction(0))
    return found


def attack(client, computation):
    """({cell: (derived, true)} of counts, {cell: (derived, true)} of shares) of the
    suppressed figures the attacker works out exactly (counts) or within half a point."""
    edition = computation.edition
    questions = [
        p.question
        for p in Publication.objects.filter(edition=edition).select_related("question")
        if p.question.kind_class.estimated_as == OPTIONS
    ]
    domains, page = page_figures(client, questions)
    package = package_figures(edition)
    bases = {key[:3]: base for key, (_, _, base) in package.items()}
    # The package publishes what the pages publish, and nothing else.
    shown = {key for key, (value, _) in page.items() if value is not None}
    assert shown == {key for key in package if key[0] in {q.code for q in questions}}
    truth = {
        (e.question.code, e.row_code, e.domain, e.choice_code): e
        for e in Estimate.objects.filter(
            computation=computation,
            question__in=questions,
            reliability=Reliability.SUPPRESSED,
            statistic=Statistic.PROPORTION,
        ).select_related("question")
    }
    counts, shares = {}, {}
    for question in questions:
        kind = question.kind_class
        options_add_up = kind.one_option_per_answer or kind.has_items
        options = list(labels(question))
        options = [o for o in options if o not in {s.value for s in Statistic}]
        for row in [item.code for item in question.items.all()] or [""]:
            lines = {(d, o): page[question.code, row, d, o] for (q, r, d, o) in page
                     if (q, r) == (question.code, row)}  # fmt: skip
            with_block = {d for d, _ in lines}
            known = {}
            for domain in domains:
                if domain not in with_block:  # nobody answered there: every count is 0
                    known |= {(domain, o): 0 for o in [*options, ""]}
                    continue
                for option in options:
                    n = lines.get((domain, option), (None, None))[1]
                    if n is not None:
                        known[domain, option] = n
                if (question.code, row, domain) in bases:
                    known[domain, ""] = bases[question.code, row, domain]
            for (domain, option), value in solve(
                relations(domains, options, options_add_up), known
            ).items():
                estimate = truth.get((question.code, row, domain, option))
                if estimate is not None and abs(value - estimate.n) < Fraction(1, 2):
                    counts[question.code, row, domain, option] = (value, estimate.n)
            if not options_add_up:
                continue
            for domain in with_block:
                hidden = [o for o in options if lines.get((domain, o), (None,))[0] is None]
                if len(hidden) != 1:
                    continue
                derived = 100 - sum(lines[domain, o][0] for o in options if o not in hidden)
                estimate = truth.get((question.code, row, domain, hidden[0]))
                if estimate is not None and abs(derived - 100 * estimate.value) <= 0.5:
                    shares[question.code, row, domain, hidden[0]] = (derived, estimate.value)
    return counts, shares


# -- The tests ------------------------------------------------------------------------------


def test_the_shipped_results_have_suppressed_and_withheld_cells(published):
    estimates = Estimate.objects.filter(computation=published)
    assert estimates.filter(reliability=Reliability.SUPPRESSED).count() > 50
    assert estimates.filter(reliability=Reliability.WITHHELD).exists()
    assert Computation.objects.current(published.edition) == published


def test_no_suppressed_value_can_be_derived_from_the_public_pages_and_the_open_data(
    client, published
):
    counts, shares = attack(client, published)
    assert counts == {}
    assert shares == {}


def test_without_complementary_suppression_the_attacker_recovers_suppressed_values(
    client, published
):
    # As before the pass: the withheld figures published (rolled back with the test).
    Estimate.objects.filter(computation=published, reliability=Reliability.WITHHELD).update(
        reliability=Reliability.PUBLISHED
    )
    counts, shares = attack(client, published)
    assert len(counts) >= 5
    assert all(derived == true for derived, true in counts.values())
    assert len(shares) >= 1

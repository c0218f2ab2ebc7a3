"""Cross-tabulations for staff: question A by the options of question B.

Each column is the domain `question:B=<option>` (the respondents who gave that answer to B),
estimated on the fly from the stored weights by `results.estimation.estimates_for`, with the
same denominator and reliability rules as the stored estimates.
"""

from dataclasses import dataclass, field

from results.estimation import estimates_for
from results.presentation import blocks
from survey.questionnaire.kinds import KINDS
from survey.questionnaire.kinds.base import OPTIONS

# Questions whose answers split respondents into groups (a matrix has one answer per row).
CROSSING_KINDS = [
    code for code, kind in KINDS.items() if kind.estimated_as == OPTIONS and not kind.has_items
]


def crossing_questions(question):
    """The questions of the edition that `question` can be crossed with."""
    return (
        question.edition.questions.filter(kind__in=CROSSING_KINDS, is_active=True)
        .exclude(pk=question.pk)
        .order_by("section__position", "position")
    )


@dataclass
class CrossTable:
    """One table: the lines of A (or of one matrix row of A) by B's options."""

    title: str
    slug: str
    columns: list  # [(label, base_n)]
    rows: list = field(default_factory=list)  # [(label, [Line or None per column])]


def cross_tables(computation, question, other):
    """The tables of `question` by the options of `other`; UnknownDomain (French) if none."""
    options = list(other.kind_class.option_labels(other).items())
    by_column = [
        blocks(question, estimates_for(computation, question, f"question:{other.code}={code}"))
        for code, _ in options
    ]
    tables = {}
    for position, column_blocks in enumerate(by_column):
        for block in column_blocks:
            table = tables.get(block.slug)
            if table is None:
                columns = [[label, 0] for _, label in options]
                table = tables[block.slug] = CrossTable(block.title, block.slug, columns)
                table.lines = {}
            table.columns[position][1] = block.base[1]
            for line in block.lines:
                key = (line.estimate.choice_code, line.estimate.statistic)
                cells = table.lines.setdefault(key, (line.label, [None] * len(options)))[1]
                cells[position] = line
    for table in tables.values():
        table.rows = list(table.lines.values())
        table.columns = [tuple(column) for column in table.columns]
    return list(tables.values())

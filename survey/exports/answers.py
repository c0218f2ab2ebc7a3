"""A response's answers as staff read them (its admin page, the poll's), section by section,
laid out as the exports lay them out."""

from survey.exports.options import ExportOptions
from survey.exports.rows import ANSWERED_STATE, NOT_ASKED_STATE, Layout, answer_state


def readable_answer(export, value):
    """An answer in words, as staff read it: labels rather than codes."""
    return export.question.kind_class.staff_words(export, value)


def answers_by_section(response):
    """[(section, [(question, state, answer in words, hidden stored answer)])] of a response."""
    layout = Layout(response.edition, ExportOptions())
    values = {
        layout.codes_by_id[question_id]: value
        for question_id, value in response.answers.values_list("question_id", "value")
    }
    sections = []
    for section, question_exports in layout.sections():
        rows = []
        for export in question_exports:
            state, value = answer_state(export.question, values)
            stored = values.get(export.code)
            hidden = (
                readable_answer(export, stored)
                if state == NOT_ASKED_STATE and stored not in (None, "", [], {})
                else None
            )
            shown = readable_answer(export, value) if state == ANSWERED_STATE else None
            rows.append((export.question, state, shown, hidden))
        sections.append((section, rows))
    return sections

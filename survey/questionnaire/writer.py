"""Writing an edition's questionnaire back as a file: the start of next year's questionnaire.

The file has the loader's format (questionnaires/README.md) with the same codes, and every
question declared as continuing its namesake of the edition it was written from, `identical`.
Staff then edit it: set the dates (left out on purpose, so that the loader refuses the file until
they are set), change wordings and turn `identical` into the relation that fits.
"""

import tomlkit

from survey.questionnaire.models import BAROMETER_SURVEY

# The loader's option keys and the Question fields that hold them.
OPTION_FIELDS = {
    "min": "min_value",
    "max": "max_value",
    "max_length": "max_length",
    "max_choices": "max_choices",
}


def next_edition_file(edition, year):
    """The TOML text of a questionnaire for `year` that continues `edition`."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"Questionnaire {year}, préparé à partir de l’édition {edition.year}."))
    doc.add(
        tomlkit.comment("Format : voir questionnaires/README.md. À faire avant de le charger :")
    )
    doc.add(tomlkit.comment("- ajouter opens_at et closes_at dans [edition] (avec le fuseau) ;"))
    doc.add(tomlkit.comment("- revoir les libellés ; une question dont le libellé ou les réponses"))
    doc.add(tomlkit.comment("  changent passe de « identical » à « reworded », « recoded » ou"))
    doc.add(
        tomlkit.comment("  « scope_changed » ; une nouvelle question n’a pas de « continues ».")
    )
    doc.add(tomlkit.nl())
    if edition.survey.code != BAROMETER_SURVEY:
        survey = tomlkit.table()
        survey["code"] = edition.survey.code
        survey["title"] = edition.survey.title
        survey["audience"] = edition.survey.audience
        doc["survey"] = survey
    meta = tomlkit.table()
    meta["year"] = year
    meta["title"] = edition.title.replace(str(edition.year), str(year))
    meta["estimated_minutes"] = edition.estimated_minutes
    if edition.intro:
        meta["intro"] = _text(edition.intro)
    doc["edition"] = meta

    sections = tomlkit.aot()
    for section in edition.sections.order_by("position").prefetch_related(
        "questions__choices", "questions__items", "questions__condition_question"
    ):
        questions = [question for question in section.questions.all() if question.is_active]
        if not questions:
            continue
        table = tomlkit.table()
        table["slug"] = section.slug
        table["title"] = section.title
        if section.intro:
            table["intro"] = _text(section.intro)
        table["questions"] = tomlkit.aot()
        for question in sorted(questions, key=lambda question: question.position):
            table["questions"].append(_question(question, edition.year))
        sections.append(table)
    doc["sections"] = sections
    return tomlkit.dumps(doc)


def _question(question, earlier_year):
    table = tomlkit.table()
    table["code"] = question.code
    table["kind"] = question.kind
    table["text"] = question.text
    if question.help_text:
        table["help"] = question.help_text
    if question.required:
        table["required"] = True
    for key in question.kind_class.options:
        value = getattr(question, OPTION_FIELDS[key]) if key in OPTION_FIELDS else None
        if value is not None:
            table[key] = int(value) if value == int(value) else float(value)
    table.update(question.kind_class.file_options(question))
    if not question.open_data:
        table["open_data"] = False
    items = sorted(question.items.all(), key=lambda item: item.position)
    if items:
        table["items"] = _entries({"code": item.code, "label": item.label} for item in items)
    choices = sorted(
        (choice for choice in question.choices.all() if choice.is_active),
        key=lambda choice: choice.position,
    )
    if choices:
        table["choices"] = _entries(_choice(choice) for choice in choices)
    if question.condition_question is not None:
        table["show_if"] = _inline(
            {"question": question.condition_question.code, "any_of": question.condition_codes}
        )
    if question.crosses_question:
        crosses = {"survey": question.crosses_survey, "question": question.crosses_question}
        if question.crosses_items_left_out:
            crosses["items_left_out"] = list(question.crosses_items_left_out)
        table["crosses"] = _inline(crosses)
    table["continues"] = _inline(
        {"edition": earlier_year, "question": question.code, "relation": "identical"}
    )
    return table


def _choice(choice):
    entry = {"code": choice.code, "label": choice.label}
    if choice.is_other:
        entry["other"] = True
    if choice.is_exclusive:
        entry["exclusive"] = True
    if choice.is_dont_know:
        entry["dont_know"] = True
    return entry


def _entries(entries):
    array = tomlkit.array()
    for entry in entries:
        array.append(_inline(entry))
    return array.multiline(True)


def _inline(values):
    table = tomlkit.inline_table()
    table.update(values)
    return table


def _text(text):
    return tomlkit.string(text.strip() + "\n", multiline=True)

"""Exports of the responses to an edition, for staff and for open-data publication.

Each format family has ONE row generator that yields plain Python values, and thin renderers
turn them into bytes, streaming:

    wide rows     iter_wide_rows      -> CSV, XLSX data sheet, open-data CSV
    long rows     iter_long_rows      -> long CSV
    JSON objects  iter_json_objects   -> JSON
    codebook      iter_codebook_rows  -> XLSX codebook sheet; table_schema() -> Table Schema

Columns come from every question of the edition, active or not, in questionnaire order, so that
older responses keep their columns when the questionnaire changes. Three states never mix up:
a question that was not asked (its display condition is false, or it is no longer asked), a
question asked but left without answer, and an answer (« Je ne sais pas » is an answer).
Responses are read in chunks with their answers fetched per chunk: memory stays flat.
"""

import csv
import datetime
import decimal
import functools
import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import batched
from xml.sax.saxutils import escape

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from survey.enums import NO_CODE, YES_CODE, QuestionKind, ResponseStatus
from survey.models import (
    Answer,
    CollectiviteKind,
    PopulationBand,
    Question,
    Respondent,
    Response,
    normalise_line_breaks,
)
from survey.typography import typeset

# The cell of a question that was not asked. Choice codes are lower case, so it cannot clash.
NOT_ASKED = "NON_POSEE"
# A question asked but left without answer is an empty cell (None in the row generators).
NOT_ANSWERED = None

ANSWERED_STATE = "repondue"
NOT_ANSWERED_STATE = "sans_reponse"
NOT_ASKED_STATE = "non_posee"

MISSING_VALUES = [
    {"value": "", "label": "Sans réponse : la question a été posée mais laissée sans réponse."},
    {
        "value": NOT_ASKED,
        "label": (
            "Question non posée : sa condition d'affichage n'était pas remplie, ou elle ne "
            "faisait pas (ou plus) partie du questionnaire."
        ),
    },
]
DONT_KNOW_NOTE = (
    "« Je ne sais pas » est une réponse (code nsp), pas une valeur manquante : elle est "
    "exportée comme les autres choix."
)

LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
DATA_PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

STATUSES = {
    "submitted": "Réponses envoyées",
    "draft": "Brouillons",
    "all": "Toutes les réponses",
}

# Spreadsheets run a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CHUNK_SIZE = 1000


def neutralise(text):
    """Make a text cell inert in spreadsheets: prefix formula-like text with a quote."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass(frozen=True)
class ExportOptions:
    """What an export contains and how it is written."""

    status: str = "submitted"
    labels: bool = False
    delimiter: str = ","
    bom: bool = False
    free_text: bool = False  # open data only: staff exports always have the free text
    contacts: bool = False
    open_data: bool = False

    def for_open_data(self):
        """Open data: codes, no personal data, no contact details, comma-separated UTF-8."""
        return replace(self, labels=False, delimiter=",", bom=False, contacts=False, open_data=True)


def select_responses(edition, options, responses=None):
    """The responses of `edition` an export covers, filtered by status."""
    responses = Response.objects.all() if responses is None else responses
    responses = responses.filter(edition=edition)
    if options.status == "submitted":
        return responses.submitted()
    if options.status == "draft":
        return responses.drafts()
    return responses


# -- Columns -------------------------------------------------------------------------------


@dataclass
class Column:
    """One column of the wide table, as the codebook describes it."""

    name: str
    title: str
    type: str = "string"
    description: str = ""
    categories: list = field(default_factory=list)  # [(value, label)]
    constraints: dict = field(default_factory=dict)
    question: Question | None = None

    def schema_field(self, labels=False):
        descriptor = {"name": self.name, "title": self.title, "type": self.type}
        if self.description:
            descriptor["description"] = self.description
        constraints = dict(self.constraints)
        if self.categories:
            if labels:
                constraints["enum"] = [label for _, label in self.categories]
            else:
                constraints["enum"] = [value for value, _ in self.categories]
                descriptor["categories"] = [
                    {"value": value, "label": label} for value, label in self.categories
                ]
        if constraints:
            descriptor["constraints"] = constraints
        return descriptor


STATUS_CATEGORIES = [(status.value, status.label) for status in ResponseStatus]
CHECKED_CATEGORIES = [(1, "Coché"), (0, "Non coché")]
YES_NO_CATEGORIES = [(YES_CODE, "Oui"), (NO_CODE, "Non")]


def shows_personal_data(options):
    """Personal fields (survey.models.PERSONAL_FIELDS) are exported only on request, which
    the export form offers only with the contact permission; never in open data."""
    return options.contacts and not options.open_data


def metadata_columns(options):
    columns = [
        Column(
            "identifiant",
            "Identifiant public de la réponse",
            constraints={"required": True, "unique": True},
        ),
        Column("statut", "Statut de la réponse", categories=STATUS_CATEGORIES),
        Column("creee_le", "Réponse commencée le", "datetime"),
        Column("derniere_activite", "Dernière activité le", "datetime"),
        Column("envoyee_le", "Dernier envoi le", "datetime", "Vide pour un brouillon."),
        Column(
            "progression",
            "Progression (%)",
            "integer",
            "Part des questions posées qui ont une réponse.",
            constraints={"minimum": 0, "maximum": 100},
        ),
        Column("collectivite_siren", "SIREN de la collectivité"),
        Column("collectivite_code_insee", "Code INSEE de la collectivité"),
        Column("collectivite_nom", "Nom de la collectivité"),
        Column(
            "collectivite_type",
            "Type de collectivité",
            categories=[(kind.value, kind.label) for kind in CollectiviteKind],
        ),
        Column(
            "collectivite_strate",
            "Strate de population",
            categories=[(band.value, band.label) for band in PopulationBand],
        ),
        Column("departement", "Code du département"),
        Column("region", "Code de la région"),
    ]
    if not options.open_data:
        # Open data names no structure outside the official list: its name (personal data in
        # survey.models.PERSONAL_FIELDS) may be a person's, and its SIREN would tell it.
        columns.append(
            Column(
                "autre_structure_siren",
                "Autre structure : SIREN",
                description="Quand la structure qui répond n'est pas une collectivité de la liste.",
            )
        )
    if shows_personal_data(options):
        columns += [
            Column("autre_structure_nom", "Autre structure : nom"),
            Column("contact_emails", "Répondants : adresses électroniques"),
            Column("contact_noms", "Répondants : noms"),
            Column("contact_fonctions", "Répondants : fonctions"),
        ]
    return columns


def _local(moment):
    return timezone.localtime(moment).replace(microsecond=0) if moment else None


def metadata_cells(response, contacts, options):
    collectivite = response.collectivite
    labels = options.labels
    cells = [
        response.public_id,
        response.get_status_display() if labels else response.status,
        _local(response.created_at),
        _local(response.updated_at),
        _local(response.submitted_at),
        response.progress,
    ]
    if collectivite is None:
        cells += [None] * 7
    else:
        cells += [
            collectivite.siren,
            collectivite.insee_code or None,
            collectivite.name,
            collectivite.get_kind_display() if labels else collectivite.kind,
            (collectivite.get_population_band_display() if labels else collectivite.population_band)
            or None,
            collectivite.departement_code or None,
            collectivite.region_code or None,
        ]
    if not options.open_data:
        cells.append(response.other_structure_siren or None)
    if shows_personal_data(options):
        cells += [
            response.other_structure_name or None,
            " | ".join(contact.email for contact in contacts if contact.email) or None,
            " | ".join(contact.name for contact in contacts if contact.name) or None,
            " | ".join(contact.role for contact in contacts if contact.role) or None,
        ]
    return cells


# -- Questions -------------------------------------------------------------------------------


def answer_state(question, values_by_code):
    """(state, value) of one question in one response: asked and answered, or not."""
    if not question.is_shown(values_by_code):
        return NOT_ASKED_STATE, None
    value = values_by_code.get(question.code)
    if value is None or value == "" or value == [] or value == {}:
        # A deactivated question is no longer asked to anyone.
        return (NOT_ANSWERED_STATE if question.is_active else NOT_ASKED_STATE), None
    return ANSWERED_STATE, value


FREE_TEXT_KINDS = {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT}
SINGLE_KINDS = {QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE}


class QuestionExport:
    """How one question becomes columns, cells, long rows and JSON."""

    def __init__(self, question, options):
        self.question = question
        self.code = question.code
        self.kind = question.kind
        self.labels = options.labels
        self.free_text = options.free_text or not options.open_data
        self.choices = list(question.choices.all())
        self.items = list(question.items.all())
        self.choice_labels = {choice.code: typeset(choice.label) for choice in self.choices}
        self.item_labels = {item.code: typeset(item.label) for item in self.items}
        self.has_other = self.free_text and any(choice.is_other for choice in self.choices)

    # Values as exported: codes, or labels on request.

    def choice_text(self, code):
        if code is None:
            return None
        return self.choice_labels.get(code, code) if self.labels else code

    def item_text(self, code):
        return self.item_labels.get(code, code) if self.labels else code

    def scalar(self, value):
        """The single exported value of a non-choice answer."""
        if self.kind == QuestionKind.YES_NO:
            code = YES_CODE if value else NO_CODE
            return dict(YES_NO_CATEGORIES)[code] if self.labels else code
        if self.kind == QuestionKind.DECIMAL:
            return decimal.Decimal(str(value))
        if self.kind in FREE_TEXT_KINDS:
            return normalise_line_breaks(value)  # answers stored before they were normalised
        return value

    # The wide table.

    @property
    def exported(self):
        """Free-text questions stay out of the export unless asked for."""
        return self.free_text or self.kind not in FREE_TEXT_KINDS

    def columns(self):
        question = self.question
        title = question.text
        description = self._description()
        if self.kind in SINGLE_KINDS:
            columns = [
                Column(
                    self.code,
                    title,
                    description=description,
                    categories=[(c.code, c.label) for c in self.choices],
                    question=question,
                )
            ]
        elif self.kind == QuestionKind.MULTIPLE_CHOICE:
            columns = [
                Column(
                    f"{self.code}__{choice.code}",
                    f"{title} — {choice.label}",
                    "integer",
                    f"1 si « {choice.label} » a été coché, 0 sinon. {description}",
                    categories=CHECKED_CATEGORIES,
                    question=question,
                )
                for choice in self.choices
            ]
        elif self.kind == QuestionKind.MATRIX:
            columns = [
                Column(
                    f"{self.code}__{item.code}",
                    f"{title} — {item.label}",
                    description=description,
                    categories=[(c.code, c.label) for c in self.choices],
                    question=question,
                )
                for item in self.items
            ]
        elif self.kind == QuestionKind.YES_NO:
            columns = [
                Column(
                    self.code,
                    title,
                    description=description,
                    categories=YES_NO_CATEGORIES,
                    question=question,
                )
            ]
        else:
            column_type = {
                QuestionKind.INTEGER: "integer",
                QuestionKind.DECIMAL: "number",
            }.get(self.kind, "string")
            columns = [Column(self.code, title, column_type, description, question=question)]
        if self.has_other:
            other = next(choice for choice in self.choices if choice.is_other)
            columns.append(
                Column(
                    f"{self.code}__autre_texte",
                    f"{title} — {other.label} : précision",
                    description=(
                        f"Texte libre saisi avec « {other.label} » ; non posée quand ce choix "
                        "n'a pas été fait."
                    ),
                    question=question,
                )
            )
        return columns

    def _description(self):
        question = self.question
        parts = [f"Question {question.code} ({question.get_kind_display().lower()})."]
        if question.condition_question_id:
            codes = ", ".join(question.condition_codes)
            parts.append(
                f"Posée seulement si {question.condition_question.code} vaut l'un de : {codes}."
            )
        if not question.is_active:
            parts.append("Question désactivée : elle n'est plus posée.")
        if any(choice.code == "nsp" for choice in self.choices):
            parts.append(DONT_KNOW_NOTE)
        return " ".join(parts)

    def wide_cells(self, state, value):
        """The cells of this question's columns, in the order of `columns()`."""
        if self.kind == QuestionKind.MULTIPLE_CHOICE:
            width = len(self.choices)
        elif self.kind == QuestionKind.MATRIX:
            width = len(self.items)
        else:
            width = 1
        if state != ANSWERED_STATE:
            missing = NOT_ASKED if state == NOT_ASKED_STATE else NOT_ANSWERED
            return [missing] * (width + self.has_other)

        if self.kind in SINGLE_KINDS:
            cells = [self.choice_text(_single_code(value))]
        elif self.kind == QuestionKind.MULTIPLE_CHOICE:
            chosen = set(_multiple_codes(value))
            cells = [1 if choice.code in chosen else 0 for choice in self.choices]
        elif self.kind == QuestionKind.MATRIX:
            cells = [self.choice_text(value.get(item.code)) for item in self.items]
        else:
            cells = [self.scalar(value)]
        if self.has_other:
            other = value.get("other") if isinstance(value, dict) else None
            cells.append(other or NOT_ASKED)
        return cells

    # The long table: (line, state, value, other) tuples.

    def long_rows(self, state, value):
        if state != ANSWERED_STATE:
            if self.kind == QuestionKind.MATRIX:
                return [(self.item_text(item.code), state, None, None) for item in self.items]
            return [(None, state, None, None)]
        other = value.get("other") if isinstance(value, dict) and self.free_text else None
        if self.kind in SINGLE_KINDS:
            return [(None, state, self.choice_text(_single_code(value)), other)]
        if self.kind == QuestionKind.MULTIPLE_CHOICE:
            other_codes = {c.code for c in self.choices if c.is_other}
            return [
                (None, state, self.choice_text(code), other if code in other_codes else None)
                for code in _multiple_codes(value)
            ]
        if self.kind == QuestionKind.MATRIX:
            rows = []
            for item in self.items:
                code = value.get(item.code)
                item_state = ANSWERED_STATE if code else NOT_ANSWERED_STATE
                rows.append((self.item_text(item.code), item_state, self.choice_text(code), None))
            return rows
        return [(None, state, self.scalar(value), None)]

    # JSON: codes and labels together, so that the file reads on its own.

    def json_entry(self, state, value):
        if state != ANSWERED_STATE:
            return {"etat": state}
        entry = {"etat": state}
        if self.kind in SINGLE_KINDS:
            code = _single_code(value)
            entry |= {"valeur": code, "libelle": self.choice_labels.get(code, code)}
        elif self.kind == QuestionKind.MULTIPLE_CHOICE:
            codes = _multiple_codes(value)
            entry |= {
                "valeur": codes,
                "libelle": [self.choice_labels.get(code, code) for code in codes],
            }
        elif self.kind == QuestionKind.MATRIX:
            entry |= {
                "valeur": dict(value),
                "libelle": {
                    item: self.choice_labels.get(code, code) for item, code in value.items()
                },
            }
        elif self.kind == QuestionKind.YES_NO:
            entry |= {"valeur": bool(value), "libelle": "Oui" if value else "Non"}
        else:
            entry["valeur"] = value
        other = value.get("other") if isinstance(value, dict) else None
        if other and self.free_text:
            entry["precision"] = other
        return entry


def _single_code(value):
    return value.get("choice") if isinstance(value, dict) else value


def _multiple_codes(value):
    codes = value.get("choices", []) if isinstance(value, dict) else value
    return list(codes or [])


class Layout:
    """The questions of an edition as an export lays them out."""

    def __init__(self, edition, options):
        self.edition = edition
        self.options = options
        questions = list(
            edition.questions.select_related("section")
            .prefetch_related("choices", "items")
            .order_by("section__position", "position", "pk")
        )
        # Conditions are evaluated for every response: link them in memory, not by query.
        by_id = {question.pk: question for question in questions}
        for question in questions:
            if question.condition_question_id:
                question.condition_question = by_id[question.condition_question_id]
        self.codes_by_id = {question.pk: question.code for question in questions}
        self.all_questions = questions
        included = [
            question for question in questions if question.open_data or not options.open_data
        ]
        self.questions = [
            export for export in (QuestionExport(q, options) for q in included) if export.exported
        ]
        self.metadata = metadata_columns(options)
        self.columns = self.metadata + [
            column for export in self.questions for column in export.columns()
        ]
        names = [column.name for column in self.columns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Colonnes en double dans l'export : {', '.join(duplicates)}")

    @property
    def header(self):
        return [column.name for column in self.columns]

    def sections(self):
        """[(section, [QuestionExport, ...])] in questionnaire order."""
        grouped = {}
        for export in self.questions:
            grouped.setdefault(export.question.section, []).append(export)
        return list(grouped.items())


def iter_responses(layout, responses, chunk_size=CHUNK_SIZE):
    """(response, answers by question code, respondents) for each response, chunk by chunk."""
    responses = responses.select_related("collectivite").order_by("pk")
    if shows_personal_data(layout.options):
        responses = responses.prefetch_related(
            Prefetch("respondents", queryset=Respondent.objects.order_by("pk"))
        )
    codes = layout.codes_by_id
    for chunk in batched(responses.iterator(chunk_size=chunk_size), chunk_size):
        values = defaultdict(dict)
        answers = Answer.objects.filter(response__in=[r.pk for r in chunk]).values_list(
            "response_id", "question_id", "value"
        )
        for response_id, question_id, value in answers:
            if question_id in codes:
                values[response_id][codes[question_id]] = value
        for response in chunk:
            contacts = (
                list(response.respondents.all()) if shows_personal_data(layout.options) else []
            )
            yield response, values[response.pk], contacts


# -- Row generators ---------------------------------------------------------------------------


def iter_wide_rows(layout, responses):
    """Header, then one row per response: metadata, then each question's columns."""
    yield layout.header
    for response, values, contacts in iter_responses(layout, responses):
        row = metadata_cells(response, contacts, layout.options)
        for export in layout.questions:
            row += export.wide_cells(*answer_state(export.question, values))
        yield row


LONG_HEADER = [
    "identifiant",
    "statut",
    "collectivite_siren",
    "section",
    "question",
    "ligne",
    "etat",
    "valeur",
    "precision",
]


def iter_long_rows(layout, responses):
    """Header, then one row per response, question and chosen choice or matrix line."""
    yield LONG_HEADER
    labels = layout.options.labels
    for response, values, _ in iter_responses(layout, responses):
        status = response.get_status_display() if labels else response.status
        siren = response.collectivite.siren if response.collectivite else None
        for export in layout.questions:
            question = export.question
            state, value = answer_state(question, values)
            for line, line_state, cell, other in export.long_rows(state, value):
                yield [
                    response.public_id,
                    status,
                    siren,
                    question.section.slug,
                    question.code,
                    line,
                    line_state,
                    cell,
                    other,
                ]


def iter_json_objects(layout, responses):
    """One dict per response, its answers grouped by section."""
    sections = layout.sections()
    for response, values, contacts in iter_responses(layout, responses):
        collectivite = response.collectivite
        obj = {
            "identifiant": response.public_id,
            "statut": response.status,
            "creee_le": _isoformat(response.created_at),
            "derniere_activite": _isoformat(response.updated_at),
            "envoyee_le": _isoformat(response.submitted_at),
            "progression": response.progress,
            "collectivite": (
                {
                    "siren": collectivite.siren,
                    "code_insee": collectivite.insee_code,
                    "nom": collectivite.name,
                    "type": collectivite.kind,
                    "strate": collectivite.population_band,
                    "departement": collectivite.departement_code,
                    "region": collectivite.region_code,
                }
                if collectivite
                else None
            ),
            "autre_structure": (
                {"siren": response.other_structure_siren}
                if response.other_structure_siren
                else None
            ),
        }
        if shows_personal_data(layout.options):
            if obj["autre_structure"]:
                obj["autre_structure"]["nom"] = response.other_structure_name
            obj["repondants"] = [
                {"email": c.email, "nom": c.name, "fonction": c.role} for c in contacts
            ]
        obj["reponses"] = {
            section.slug: {
                export.code: export.json_entry(*answer_state(export.question, values))
                for export in exports
            }
            for section, exports in sections
        }
        yield obj


CODEBOOK_HEADER = [
    "colonne",
    "intitule",
    "type",
    "valeurs",
    "question",
    "section",
    "type_de_question",
    "active",
    "open_data",
    "description",
]


def iter_codebook_rows(layout):
    """Header, then one row per column of the wide table, then the missing values."""
    yield CODEBOOK_HEADER
    for column in layout.columns:
        question = column.question
        yield [
            typeset(cell) if isinstance(cell, str) else cell
            for cell in _codebook_row(column, question)
        ]
    yield []
    yield ["Valeurs manquantes"]
    yield ["(vide)", typeset(MISSING_VALUES[0]["label"])]
    yield [NOT_ASKED, typeset(MISSING_VALUES[1]["label"])]
    yield ["nsp", typeset(DONT_KNOW_NOTE)]


def _codebook_row(column, question):
    return [
        column.name,
        column.title,
        column.type,
        "\n".join(f"{value} = {label}" for value, label in column.categories) or None,
        question.code if question else None,
        question.section.title if question else None,
        question.get_kind_display() if question else None,
        ("oui" if question.is_active else "non") if question else None,
        ("oui" if question.open_data else "non") if question else None,
        column.description or None,
    ]


def table_schema(layout):
    """The Frictionless Table Schema of the wide table: the machine-readable codebook."""
    return {
        "$schema": TABLE_SCHEMA_PROFILE,
        "fields": [column.schema_field(layout.options.labels) for column in layout.columns],
        "missingValues": MISSING_VALUES,
        "primaryKey": ["identifiant"],
    }


# -- Renderers ------------------------------------------------------------------------------


def _isoformat(moment):
    return _local(moment).isoformat() if moment else None


# A spreadsheet may open a CSV with another separator than it was written with (French
# Excel splits on « ; », others on tabs) or cut a quoted line at its line breaks: a formula
# prefix after any of these starts a cell too.
FORMULA_AFTER_ANY_SEPARATOR = re.compile(r"(?:^|(?<=[,;\t|\r\n]))(?=[=+\-@\t\r])")


@functools.lru_cache(maxsize=4096)
def _neutralised_short_text(text):
    return FORMULA_AFTER_ANY_SEPARATOR.sub("'", text)


def _csv_text(text):
    """Codes and short labels repeat over millions of cells: their result is cached."""
    if len(text) <= 64:
        return _neutralised_short_text(text)
    return FORMULA_AFTER_ANY_SEPARATOR.sub("'", text)


def _csv_cells(row):
    """A row as the csv module writes it (None is empty): text neutralised at its start and
    after any separator, dates in ISO 8601."""
    return [
        _csv_text(value)
        if value.__class__ is str
        else value.isoformat()
        if value.__class__ is datetime.datetime
        else value
        for value in row
    ]


def render_csv(rows, delimiter=",", bom=False, flush_every=200):
    """Stream rows as CSV bytes (UTF-8, optionally with a BOM for Excel)."""
    buffer = io.StringIO()
    # Every text field quoted, so that its separators and line breaks stay inside it.
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_STRINGS)
    if bom:
        buffer.write("\ufeff")
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_cells(row))
        if count % flush_every == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _xlsx_cell(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: local time
    return value


XLSX_DATA_SHEET = "xl/worksheets/sheet1.xml"
# The template's only non-default cell style: openpyxl's date format, used by its export date.
XLSX_DATE_STYLE = 1


def _xlsx_template(header, codebook_rows):
    """A small workbook from openpyxl (write-only): the data sheet's header, the codebook."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Réponses")
    data.freeze_panes = "B2"
    data.append(header)
    codebook = workbook.create_sheet("Dictionnaire")
    for row in codebook_rows:
        codebook.append([_xlsx_cell(value) for value in row])
    codebook.append([])
    codebook.append(["Exporté le", _xlsx_cell(_local(timezone.now()))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer


def _xlsx_row(number, letters, row):
    """One data row in the markup openpyxl writes, without its per-cell objects (10x faster)."""
    cells = [f'<row r="{number}">']
    for letter, value in zip(letters, row, strict=True):
        if value is None:
            continue
        ref = f"{letter}{number}"
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
            space = ' xml:space="preserve"' if value != value.strip() else ""
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
        elif isinstance(value, datetime.datetime):
            serial = to_excel(value.replace(tzinfo=None))
            cells.append(f'<c r="{ref}" s="{XLSX_DATE_STYLE}" t="n"><v>{serial}</v></c>')
        elif isinstance(value, decimal.Decimal):
            cells.append(f'<c r="{ref}" t="n"><v>{value:f}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="n"><v>{value}</v></c>')
    cells.append("</row>")
    return "".join(cells).encode()


def render_xlsx(data_rows, codebook_rows):
    """Stream an XLSX workbook: a data sheet and a codebook sheet.

    openpyxl (write-only) writes the workbook, the header and the codebook; the data rows
    are then streamed into the data sheet, so that bytes flow from the first response on.
    """
    rows = iter(data_rows)
    header = next(rows)
    letters = [get_column_letter(index) for index in range(1, len(header) + 1)]
    with zipfile.ZipFile(_xlsx_template(header, codebook_rows)) as template:
        parts = [(name, template.read(name)) for name in template.namelist()]
    if XLSX_DATA_SHEET not in dict(parts):
        raise RuntimeError("openpyxl n'a pas écrit la feuille de données attendue.")

    def data_sheet(markup):
        head, tail = markup.decode().split("</sheetData>")
        yield head.encode()
        for number, row in enumerate(rows, start=2):
            yield _xlsx_row(number, letters, row)
        yield f"</sheetData>{tail}".encode()

    return render_zip(
        (name, data_sheet(markup) if name == XLSX_DATA_SHEET else [markup])
        for name, markup in parts
    )


def render_json(objects):
    """Stream a JSON array, one object per line."""
    separator = "[\n"
    for obj in objects:
        yield (separator + json.dumps(obj, ensure_ascii=False)).encode()
        separator = ",\n"
    yield ("[]\n" if separator == "[\n" else "\n]\n").encode()


class _Sink(io.RawIOBase):
    """An unseekable file that keeps what is written until it is taken: zip streaming."""

    def __init__(self):
        self.pending = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.pending += data
        return len(data)

    def take(self):
        data = bytes(self.pending)
        self.pending.clear()
        return data


def render_zip(members):
    """Stream a ZIP archive; `members` yields (name, iterator of bytes)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            with archive.open(name, "w", force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk)
                    if len(sink.pending) > 1 << 16:
                        yield sink.take()
            yield sink.take()
    yield sink.take()


def datapackage_descriptor(layout):
    edition = layout.edition
    options = layout.options
    statuses = {
        "submitted": "les réponses envoyées",
        "draft": "les brouillons (réponses non envoyées)",
        "all": "toutes les réponses, envoyées ou non (voir la colonne statut)",
    }
    description = (
        f"Réponses des collectivités territoriales au {edition.title} (Observatoire Data "
        f"Publica) : {statuses[options.status]}. Une ligne par réponse, une colonne par "
        "question (une colonne 0/1 par choix pour les questions à choix multiples, une colonne "
        "par ligne pour les tableaux). Sans données personnelles : ni nom, ni adresse "
        "électronique, ni fonction des répondants"
        + ("." if options.free_text else " ; les réponses en texte libre ne sont pas publiées.")
        + " Valeurs manquantes : cellule vide = question posée restée sans réponse ; "
        f"{NOT_ASKED} = question non posée. {DONT_KNOW_NOTE}"
    )
    return {
        "$schema": DATA_PACKAGE_PROFILE,
        "name": f"barometre-ia-collectivites-{edition.year}",
        "title": edition.title,
        "description": description,
        "version": timezone.localdate().isoformat(),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "licenses": [LICENCE],
        "contributors": [{"title": "Observatoire Data Publica", "roles": ["publisher"]}],
        "keywords": ["intelligence artificielle", "collectivités territoriales", "baromètre"],
        "resources": [
            {
                "name": "reponses",
                "path": "reponses.csv",
                "type": "table",
                "title": f"Réponses — {edition.title}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ","},
                "schema": table_schema(layout),
            }
        ],
    }


# -- Formats ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    extension: str
    content_type: str


FORMATS = {
    f.key: f
    for f in [
        ExportFormat("csv", "CSV large (une ligne par réponse)", "csv", "text/csv"),
        ExportFormat(
            "long-csv", "CSV long (une ligne par question et par choix)", "csv", "text/csv"
        ),
        ExportFormat(
            "xlsx",
            "Excel (XLSX, avec dictionnaire des variables)",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ExportFormat("json", "JSON (un objet par réponse)", "json", "application/json"),
        ExportFormat(
            "datapackage",
            "Jeu open data (datapackage.json + CSV, sans données personnelles)",
            "zip",
            "application/zip",
        ),
        ExportFormat(
            "schema",
            "Dictionnaire des variables (Table Schema JSON)",
            "schema.json",
            "application/json",
        ),
    ]
}


def export_filename(format_key, edition, options):
    suffix = {"submitted": "envoyees", "draft": "brouillons", "all": "toutes"}[options.status]
    stem = "open-data" if format_key == "datapackage" else "reponses"
    if format_key == "long-csv":
        stem = "reponses-long"
    today = timezone.localdate().strftime("%Y%m%d")
    extension = FORMATS[format_key].extension
    return f"barometre-{edition.year}-{stem}-{suffix}-{today}.{extension}"


def render(format_key, edition, options, responses=None):
    """The bytes of an export, as an iterator: nothing is built in memory as a whole."""
    if format_key == "datapackage":
        options = options.for_open_data()
    layout = Layout(edition, options)
    selected = select_responses(edition, options, responses)
    if format_key == "csv":
        return render_csv(iter_wide_rows(layout, selected), options.delimiter, options.bom)
    if format_key == "long-csv":
        return render_csv(iter_long_rows(layout, selected), options.delimiter, options.bom)
    if format_key == "xlsx":
        return render_xlsx(iter_wide_rows(layout, selected), iter_codebook_rows(layout))
    if format_key == "json":
        return render_json(iter_json_objects(layout, selected))
    if format_key == "schema":
        return iter([json.dumps(table_schema(layout), ensure_ascii=False, indent=2).encode()])
    if format_key == "datapackage":
        descriptor = json.dumps(datapackage_descriptor(layout), ensure_ascii=False, indent=2)
        return render_zip(
            [
                ("datapackage.json", [descriptor.encode()]),
                ("reponses.csv", render_csv(iter_wide_rows(layout, selected))),
            ]
        )
    raise ValueError(f"Format d'export inconnu : {format_key}")

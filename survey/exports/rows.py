"""Export rows: columns, layouts and the row generators every format renders."""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import batched

from django.db.models import Prefetch
from django.utils import timezone

from survey.collection.models import Answer, Respondent
from survey.enums import (
    CollectiviteKind,
    PopulationBand,
    ResponseStatus,
)
from survey.questionnaire.models import Question, is_empty
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

# Spreadsheets run a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CHUNK_SIZE = 1000


def neutralise(text):
    """Make a text cell inert in spreadsheets: prefix formula-like text with a quote."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


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


def shows_personal_data(options):
    """Personal fields (survey.collection.models.PERSONAL_FIELDS) are exported only on request,
    which the export form offers only with the contact permission; never in open data."""
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
        # survey.collection.models.PERSONAL_FIELDS) may be a person's, and its SIREN would tell it.
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
    if is_empty(value):
        # A deactivated question is no longer asked to anyone.
        return (NOT_ANSWERED_STATE if question.is_active else NOT_ASKED_STATE), None
    return ANSWERED_STATE, value


class QuestionExport:
    """How one question becomes columns, cells, long rows and JSON."""

    def __init__(self, question, options):
        self.question = question
        self.code = question.code
        self.kind = question.kind_class
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
        return self.kind.export_value(self, value)

    # The wide table.

    @property
    def exported(self):
        """Free-text questions stay out of the export unless asked for."""
        return self.free_text or not self.kind.free_text

    def columns(self):
        question = self.question
        title = question.text
        columns = self.kind.export_columns(self, self._description())
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
        width = self.kind.export_width(self)
        if state != ANSWERED_STATE:
            missing = NOT_ASKED if state == NOT_ASKED_STATE else NOT_ANSWERED
            return [missing] * (width + self.has_other)

        cells = self.kind.export_cells(self, value)
        if self.has_other:
            other = value.get("other") if isinstance(value, dict) else None
            cells.append(other or NOT_ASKED)
        return cells

    # The long table: (line, state, value, other) tuples.

    def long_rows(self, state, value):
        if state != ANSWERED_STATE:
            return self.kind.long_missing(self, state)
        other = value.get("other") if isinstance(value, dict) and self.free_text else None
        return self.kind.long_rows(self, state, value, other)

    # JSON: codes and labels together, so that the file reads on its own.

    def json_entry(self, state, value):
        if state != ANSWERED_STATE:
            return {"etat": state}
        entry = {"etat": state}
        entry |= self.kind.json_fields(self, value)
        other = value.get("other") if isinstance(value, dict) else None
        if other and self.free_text:
            entry["precision"] = other
        return entry


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
        # Weights and strata of the current results computation: one group, after the others
        # (imported here: the results app builds on these exports).
        from results.exports import WeightCells, weight_columns

        self.columns += weight_columns()
        self.weight_cells = WeightCells(edition, labels=options.labels)
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
        row += layout.weight_cells(response)
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


def _isoformat(moment):
    return _local(moment).isoformat() if moment else None

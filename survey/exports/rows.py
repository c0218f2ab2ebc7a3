"""Export rows: columns, layouts and the row generators every format renders."""

from collections import defaultdict, namedtuple
from itertools import batched

from django.db import transaction
from django.db.models import (
    OuterRef,
)
from django.utils import timezone

from survey.collection.models import Respondent, answers_object, decode_answers
from survey.enums import (
    Audience,
    CollectiviteKind,
    PopulationBand,
    ResponseStatus,
)
from survey.exports.extensions import column_groups
from survey.questionnaire.columns import (
    ANSWERED_STATE,
    NOT_ANSWERED_STATE,
    NOT_ASKED_STATE,
    Column,
)
from survey.questionnaire.models import is_empty
from survey.typography import typeset

# The cell of a question that was not asked. Choice codes are lower case, so it cannot clash.
NOT_ASKED = "NON_POSEE"
# A question asked but left without answer is an empty cell (None in the row generators).
NOT_ANSWERED = None

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

CHUNK_SIZE = 1000


# -- Columns -------------------------------------------------------------------------------


STATUS_CATEGORIES = [(status.value, status.label) for status in ResponseStatus]


def shows_personal_data(options):
    """Personal fields (survey.collection.models.PERSONAL_FIELDS) are exported only on request,
    which the export form offers only with the contact permission; never in open data."""
    return options.contacts and not options.open_data


def metadata_columns(options, structure=True):
    """The response's columns; with `structure`, the collectivité (or other structure) that
    answered and its respondents (a citizens' poll has neither)."""
    columns = [
        Column(
            "identifiant",
            "Identifiant public de la réponse",
            constraints={"required": True, "unique": True},
        ),
        Column(
            "edition",
            "Édition (année)",
            "integer",
            "Pour réunir les exports de plusieurs éditions.",
            constraints={"required": True},
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
    ]
    if not structure:
        return columns
    columns += [
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


def metadata_cells(response, contacts, options, year, structure=True):
    collectivite = response.collectivite
    labels = options.labels
    cells = [
        response.public_id,
        year,
        STATUS_LABELS.get(response.status, response.status) if labels else response.status,
        _local(response.created_at),
        _local(response.updated_at),
        _local(response.submitted_at),
        response.progress,
    ]
    if not structure:
        return cells
    if collectivite is None:
        cells += [None] * 7
    else:
        cells += [
            collectivite.siren,
            collectivite.insee_code or None,
            collectivite.name,
            KIND_LABELS.get(collectivite.kind, collectivite.kind) if labels else collectivite.kind,
            (
                BAND_LABELS.get(collectivite.population_band, collectivite.population_band)
                if labels
                else collectivite.population_band
            )
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
        self.key = str(question.pk)  # its key in a response's answers (iter_responses)
        self.is_active = question.is_active
        self.kind = question.kind_class
        self.labels = options.labels
        self.free_text = options.free_text or not options.open_data
        self.options = options
        # A repeated group's sub-question is built in memory: its choices are not rows.
        saved = question.pk is not None
        self.choices = list(question.choices.all()) if saved else question.active_choices
        self.items = list(question.items.all()) if saved else question.active_items
        self.choice_codes = [choice.code for choice in self.choices]
        self.item_codes = [item.code for item in self.items]
        self.choice_labels = {choice.code: typeset(choice.label) for choice in self.choices}
        self.item_labels = {item.code: typeset(item.label) for item in self.items}
        self.has_other = self.free_text and any(choice.is_other for choice in self.choices)
        # The cells of a question not asked, or asked and left without answer: the same
        # list for every response (rows are built by concatenation, never changed in place).
        width = self.kind.export_width(self) + self.has_other
        self.not_asked_cells = [NOT_ASKED] * width
        self.not_answered_cells = [NOT_ANSWERED] * width if self.is_active else self.not_asked_cells

    def state(self, values, unasked):
        """(state, value) in one response, given its answers by question key and the keys of
        the questions it was not asked (Layout.unasked): answer_state, without recursion."""
        if self.key in unasked:
            return NOT_ASKED_STATE, None
        value = values.get(self.key)
        if is_empty(value):
            return (NOT_ANSWERED_STATE if self.is_active else NOT_ASKED_STATE), None
        return ANSWERED_STATE, value

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
        if any(choice.is_dont_know for choice in self.choices):
            parts.append(DONT_KNOW_NOTE)
        return " ".join(parts)

    def wide_cells(self, state, value):
        """The cells of this question's columns, in the order of `columns()`."""
        if state != ANSWERED_STATE:
            return (
                self.not_asked_cells
                if state == NOT_ASKED_STATE
                else [NOT_ANSWERED] * len(self.not_asked_cells)
            )
        return self.answered_cells(value)

    def cells_in(self, values, unasked):
        """`wide_cells` of this question in one response (see `state`), by the shortest path:
        it runs for every question of every response."""
        if self.key in unasked:
            return self.not_asked_cells
        value = values.get(self.key)
        if value is None or value == "" or value == [] or value == {}:  # is_empty, inlined
            return self.not_answered_cells
        return self.answered_cells(value)

    def answered_cells(self, value):
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
            edition.questions.select_related("section", "continues__edition")
            .prefetch_related("choices", "items")
            .order_by("section__position", "position", "pk")
        )
        # Conditions are evaluated for every response: link them in memory, not by query.
        by_id = {question.pk: question for question in questions}
        for question in questions:
            if question.condition_question_id:
                question.condition_question = by_id[question.condition_question_id]
        self.codes_by_id = {question.pk: question.code for question in questions}
        self.conditions = _conditions(questions)
        self.all_questions = questions
        included = [
            question for question in questions if question.open_data or not options.open_data
        ]
        self.questions = [
            export for export in (QuestionExport(q, options) for q in included) if export.exported
        ]
        # Who answers: a collectivité (or another structure) and its respondents, or, in a
        # citizens' poll, an anonymous panel member.
        self.structure = edition.survey.audience == Audience.COLLECTIVITES
        self.metadata = metadata_columns(options, structure=self.structure)
        self.columns = self.metadata + [
            column for export in self.questions for column in export.columns()
        ]
        # Then the groups other apps register (survey/exports/extensions.py): the
        # collectivités' weights and strata of the current results computation, or the poll's
        # outcome, quality flags, exclusion and weight of each sitting.
        groups = column_groups(edition.survey.audience)
        self.columns += [column for group in groups for column in group.columns(options)]
        self.group_cells = [group.cells(edition, options) for group in groups]
        names = [column.name for column in self.columns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Colonnes en double dans l'export : {', '.join(duplicates)}")

    def unasked(self, values):
        """The keys of the questions a response was not asked, given its answers by question
        key: each display condition evaluated once, parents before the questions they show."""
        unasked = set()
        for key, parent, kind, codes in self.conditions:
            if parent in unasked:
                unasked.add(key)
                continue
            value = values.get(parent)
            if value is None or not kind.answer_codes(value) & codes:
                unasked.add(key)
        return unasked

    @property
    def header(self):
        return [column.name for column in self.columns]

    def sections(self):
        """[(section, [QuestionExport, ...])] in questionnaire order."""
        grouped = {}
        for export in self.questions:
            grouped.setdefault(export.question.section, []).append(export)
        return list(grouped.items())


# The response fields an export reads, in the order of ExportedResponse's.
RESPONSE_FIELDS = [
    "pk",
    "public_id",
    "status",
    "created_at",
    "updated_at",
    "submitted_at",
    "progress",
    "other_structure_siren",
    "other_structure_name",
    "collectivite_id",
]
COLLECTIVITE_FIELDS = [
    "siren",
    "insee_code",
    "name",
    "kind",
    "population_band",
    "departement_code",
    "region_code",
]

ExportedCollectivite = namedtuple("ExportedCollectivite", COLLECTIVITE_FIELDS)
ExportedResponse = namedtuple("ExportedResponse", [*RESPONSE_FIELDS, "collectivite", "answers"])
Contact = namedtuple("Contact", ["email", "name", "role"])

STATUS_LABELS = dict(ResponseStatus.choices)
KIND_LABELS = dict(CollectiviteKind.choices)
BAND_LABELS = dict(PopulationBand.choices)


def _conditions(questions):
    """(key, parent key, parent kind, codes) of each conditional question, parents first."""

    def depth(question):
        return (
            0 if question.condition_question_id is None else 1 + depth(question.condition_question)
        )

    conditional = [question for question in questions if question.condition_question_id]
    return [
        (
            str(question.pk),
            str(question.condition_question_id),
            question.condition_question.kind_class,
            frozenset(question.condition_codes),
        )
        for question in sorted(conditional, key=depth)
    ]


def iter_responses(layout, responses, chunk_size=CHUNK_SIZE):
    """(response, answers by question key, respondents) for each response, in one streamed
    query: plain tuples (ExportedResponse), each response's answers aggregated into one JSON
    object by the database; the respondents, when exported, one query per chunk."""
    rows = (
        responses.order_by("pk")
        .annotate(answer_object=answers_object(OuterRef("pk")))
        .values_list(
            *RESPONSE_FIELDS,
            *(f"collectivite__{name}" for name in COLLECTIVITE_FIELDS),
            "answer_object",
        )
    )
    personal = shows_personal_data(layout.options)
    width = len(RESPONSE_FIELDS)
    # Inside a transaction, PostgreSQL streams the rows as they come; outside one, Django
    # declares its cursor WITH HOLD, which makes PostgreSQL compute every row before the first.
    with transaction.atomic():
        yield from _read_responses(rows, personal, width, chunk_size)


def _read_responses(rows, personal, width, chunk_size):
    for chunk in batched(rows.iterator(chunk_size=chunk_size), chunk_size):
        contacts = defaultdict(list)
        if personal:
            for response_id, *contact in (
                Respondent.objects.filter(response__in=[row[0] for row in chunk])
                .order_by("pk")
                .values_list("response_id", "email", "name", "role")
            ):
                contacts[response_id].append(Contact(*contact))
        for row in chunk:
            collectivite = None if row[width - 1] is None else ExportedCollectivite(*row[width:-1])
            # orjson decodes tens of megabytes of answers 3 to 4 times faster than json; one at
            # a time, so that a chunk holds texts (which the garbage collector ignores) rather
            # than thousands of dicts that each collection would go through.
            values = decode_answers(row[-1])
            response = ExportedResponse(*row[:width], collectivite, values)
            yield response, values, contacts.get(row[0], [])


# -- Row generators ---------------------------------------------------------------------------


def iter_wide_rows(layout, responses):
    """Header, then one row per response: metadata, then each question's columns."""
    yield layout.header
    for response, values, contacts in iter_responses(layout, responses):
        unasked = layout.unasked(values)
        row = metadata_cells(
            response, contacts, layout.options, layout.edition.year, layout.structure
        )
        for export in layout.questions:
            row += export.cells_in(values, unasked)
        for cells in layout.group_cells:
            row += cells(response)
        yield row


LONG_HEADER = [
    "identifiant",
    "edition",
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
    exports = [(export, export.question.section.slug) for export in layout.questions]
    year = layout.edition.year
    for response, values, _ in iter_responses(layout, responses):
        unasked = layout.unasked(values)
        status = STATUS_LABELS.get(response.status, response.status) if labels else response.status
        siren = response.collectivite.siren if response.collectivite else None
        for export, section in exports:
            state, value = export.state(values, unasked)
            for line, line_state, cell, other in export.long_rows(state, value):
                yield [
                    response.public_id,
                    year,
                    status,
                    siren,
                    section,
                    export.code,
                    line,
                    line_state,
                    cell,
                    other,
                ]


def iter_json_objects(layout, responses):
    """One dict per response, its answers grouped by section."""
    sections = layout.sections()
    for response, values, contacts in iter_responses(layout, responses):
        unasked = layout.unasked(values)
        collectivite = response.collectivite
        obj = {
            "identifiant": response.public_id,
            "edition": layout.edition.year,
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
                export.code: export.json_entry(*export.state(values, unasked)) for export in exports
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
    "filiation",
    "continue",
    "recodage",
]
# Only in the codebook of an edition with crossed questions (the poll's): the barometer's
# codebook keeps its columns.
CROSSING_HEADER = "croise"


def iter_codebook_rows(layout):
    """Header, then one row per column of the wide table, then the missing values."""
    from survey.exports.items import ItemTable

    crossed = any(column.question and column.question.crosses_question for column in layout.columns)

    def row_of(column):
        cells = _codebook_row(column, column.question)
        if crossed:
            cells.append(_crossing_cell(column.question))
        return [typeset(cell) if isinstance(cell, str) else cell for cell in cells]

    yield [*CODEBOOK_HEADER, CROSSING_HEADER] if crossed else CODEBOOK_HEADER
    for column in layout.columns:
        yield row_of(column)
    items = ItemTable(layout)
    if items.exists:
        yield from items.codebook_rows(row_of)
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
        *_lineage_cells(question),
    ]


def _crossing_cell(question):
    """The question of another survey that asks the same thing (`crosses` in the files)."""
    if question is None or not question.crosses_question:
        return None
    return f"{question.crosses_survey} : {question.crosses_question}"


def _lineage_cells(question):
    """How the question continues one of an earlier edition: relation, which, recoding."""
    if question is None:
        return [None, None, None]
    earlier = question.continues
    return [
        question.get_lineage_display(),
        f"{earlier.edition.year} : {earlier.code}" if earlier else None,
        "\n".join(f"{old} = {new}" for old, new in question.recoding.items()) or None,
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

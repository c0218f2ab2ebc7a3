"""The items table: one row per item of a repeated group (the use cases of 2025).

The wide table has one column per question; a group answered 0 to N times would need an
unbounded number of them, so it only counts its items there, and its items make this second
table: the response's id (a foreign key to the wide table), the group, the item's number, then
the sub-questions' columns (as their own kinds export them). Formats that hold several tables
carry it beside the wide one: a sheet of the XLSX workbook, a resource of the open-data
package, a CSV of its own (« items-csv »); the long CSV and the JSON hold the items inline.
"""

from django.utils.text import slugify

from survey.exports.rows import (
    ANSWERED_STATE,
    MISSING_VALUES,
    NOT_ASKED,
    TABLE_SCHEMA_PROFILE,
    Column,
    iter_responses,
)


class ItemTable:
    """The items table of a layout; empty (`exists` false) for an edition without a group."""

    def __init__(self, layout):
        self.layout = layout
        self.groups = [export for export in layout.questions if export.kind.has_item_table]
        self.group_columns = [(export, export.kind.item_columns(export)) for export in self.groups]
        self.columns = [
            Column(
                "identifiant",
                "Identifiant public de la réponse",
                description="La ligne de la réponse dans la table des réponses.",
                constraints={"required": True},
            ),
            Column(
                "groupe",
                "Question (groupe répété)",
                categories=[(export.code, export.question.text) for export in self.groups],
                constraints={"required": True},
            ),
            Column(
                "numero",
                "Numéro de l'élément dans la réponse",
                "integer",
                constraints={"required": True, "minimum": 1},
            ),
        ] + [column for _, columns in self.group_columns for column in columns]

    @property
    def exists(self):
        return bool(self.groups)

    @property
    def noun(self):
        """« projets »: what a row is, from the groups' own words."""
        nouns = {export.kind.item_label(export.question).lower() for export in self.groups}
        return " et ".join(f"{noun}s" for noun in sorted(nouns)) or "éléments"

    @property
    def name(self):
        return slugify(self.noun)

    @property
    def title(self):
        return f"{self.noun.capitalize()} décrits un par un"

    @property
    def header(self):
        return [column.name for column in self.columns]

    def rows(self, responses):
        """Header, then one row per item of every group a response was asked and answered."""
        yield self.header
        widths = [len(columns) for _, columns in self.group_columns]
        for response, values, _ in iter_responses(self.layout, responses):
            unasked = self.layout.unasked(values)
            for position, (export, _) in enumerate(self.group_columns):
                state, value = export.state(values, unasked)
                if state != ANSWERED_STATE:
                    continue
                before = [NOT_ASKED] * sum(widths[:position])
                after = [NOT_ASKED] * sum(widths[position + 1 :])
                for number, cells in export.kind.item_rows(export, value):
                    yield [response.public_id, export.code, number, *before, *cells, *after]

    def schema(self, labels=False):
        return {
            "$schema": TABLE_SCHEMA_PROFILE,
            "fields": [column.schema_field(labels) for column in self.columns],
            "missingValues": MISSING_VALUES,
            "primaryKey": ["identifiant", "groupe", "numero"],
            "foreignKeys": [
                {
                    "fields": ["identifiant"],
                    "reference": {"resource": "reponses", "fields": ["identifiant"]},
                }
            ],
        }

    def resource(self):
        """The open-data package's resource (Frictionless) for this table."""
        return {
            "name": self.name,
            "path": f"{self.name}.csv",
            "type": "table",
            "title": self.title,
            "description": (
                f"Une ligne par {self.noun[:-1]} décrit dans une réponse ; « identifiant » "
                "renvoie à la ligne de la réponse dans la ressource « reponses »."
            ),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ","},
            "schema": self.schema(self.layout.options.labels),
        }

    def codebook_rows(self, row_of):
        """The codebook's part for this table: a heading, then one row per column."""
        yield []
        yield [f"Table « {self.name} » : {self.title.lower()}, une ligne par élément"]
        for column in self.columns:
            yield row_of(column)

"""The export formats: one exporter class per format, registered by identifier in EXPORTERS.

An exporter knows its identifier, its French name, its file (stem, extension, content type),
the options it takes and how it writes its bytes: the row generators of `rows` turned into
bytes by the renderers of `renderers`. The admin export form and view and the
`export_responses` command all read EXPORTERS: adding a format is one class here, listed
in EXPORTERS.
"""

import json

from django.utils import timezone

from survey.exports.csv import render_csv
from survey.exports.extensions import open_data_resources
from survey.exports.items import ItemTable
from survey.exports.options import STATUSES, select_responses
from survey.exports.renderers import (
    datapackage_descriptor,
    render_json,
    render_xlsx,
    render_zip,
)
from survey.exports.rows import (
    Layout,
    iter_codebook_rows,
    iter_json_objects,
    iter_long_rows,
    iter_wide_rows,
    table_schema,
)


class Exporter:
    """The export of `edition`'s responses (or of `responses`, a selection) in one format."""

    identifier = None
    verbose_name = None
    extension = None
    content_type = None
    file_stem = "reponses"

    def __init__(self, edition, options, responses=None):
        self.edition = edition
        self.options = self.take_options(options)
        self.responses = responses

    def take_options(self, options):
        """The options as this format applies them."""
        return options

    def filename(self):
        suffix = STATUSES[self.options.status].file_suffix
        today = timezone.localdate().strftime("%Y%m%d")
        return f"barometre-{self.edition.year}-{self.file_stem}-{suffix}-{today}.{self.extension}"

    def render(self):
        """The bytes of the export, as an iterator: nothing is built in memory as a whole."""
        layout = Layout(self.edition, self.options)
        return self.write(layout, select_responses(self.edition, self.options, self.responses))

    def write(self, layout, responses):
        raise NotImplementedError


class CsvExporter(Exporter):
    identifier = "csv"
    verbose_name = "CSV large (une ligne par réponse)"
    extension = "csv"
    content_type = "text/csv"
    rows = staticmethod(iter_wide_rows)

    def write(self, layout, responses):
        return render_csv(self.rows(layout, responses), self.options.delimiter, self.options.bom)


class LongCsvExporter(CsvExporter):
    identifier = "long-csv"
    verbose_name = "CSV long (une ligne par question et par choix)"
    file_stem = "reponses-long"
    rows = staticmethod(iter_long_rows)


class ItemsCsvExporter(CsvExporter):
    """The items of the repeated groups (the use cases): one row per item."""

    identifier = "items-csv"
    verbose_name = "CSV des éléments décrits un par un (cas d'usage : une ligne par projet)"
    file_stem = "elements"

    def rows(self, layout, responses):
        return ItemTable(layout).rows(responses)


class XlsxExporter(Exporter):
    identifier = "xlsx"
    verbose_name = "Excel (XLSX, avec dictionnaire des variables)"
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, layout, responses):
        items = ItemTable(layout)
        extra = [(items.title, items.rows(responses))] if items.exists else []
        return render_xlsx(iter_wide_rows(layout, responses), iter_codebook_rows(layout), extra)


class JsonExporter(Exporter):
    identifier = "json"
    verbose_name = "JSON (un objet par réponse)"
    extension = "json"
    content_type = "application/json"

    def write(self, layout, responses):
        return render_json(iter_json_objects(layout, responses))


class DataPackageExporter(Exporter):
    """The open-data package (Frictionless): its descriptor and the wide CSV."""

    identifier = "datapackage"
    verbose_name = "Jeu de données ouvertes (datapackage.json + CSV, sans données personnelles)"
    extension = "zip"
    content_type = "application/zip"
    file_stem = "open-data"

    def take_options(self, options):
        return options.for_open_data()

    def write(self, layout, responses):
        descriptor = datapackage_descriptor(layout)
        members = [("reponses.csv", render_csv(iter_wide_rows(layout, responses)))]
        # A repeated group's items: a resource of their own, keyed to the responses.
        if (items := ItemTable(layout)).exists:
            descriptor["resources"].append(items.resource())
            members.append((f"{items.name}.csv", render_csv(items.rows(responses))))
        # The files other apps add (survey/exports/extensions.py): the published estimates,
        # once the results are computed.
        for resource, rows in open_data_resources(self.edition):
            descriptor["resources"].append(resource)
            members.append((resource["path"], rows))
        descriptor = json.dumps(descriptor, ensure_ascii=False, indent=2)
        return render_zip([("datapackage.json", [descriptor.encode()]), *members])


class TableSchemaExporter(Exporter):
    identifier = "schema"
    verbose_name = "Dictionnaire des variables (Table Schema JSON)"
    extension = "schema.json"
    content_type = "application/json"

    def write(self, layout, responses):
        return iter([json.dumps(table_schema(layout), ensure_ascii=False, indent=2).encode()])


EXPORTERS = {
    exporter.identifier: exporter
    for exporter in [
        CsvExporter,
        LongCsvExporter,
        ItemsCsvExporter,
        XlsxExporter,
        JsonExporter,
        DataPackageExporter,
        TableSchemaExporter,
    ]
}


def exporter_choices():
    """The formats, as choices: read when asked, so that every registered format is offered."""
    return [(identifier, exporter.verbose_name) for identifier, exporter in EXPORTERS.items()]


def render(identifier, edition, options, responses=None):
    """The bytes of an export in the format `identifier`, as an iterator."""
    if identifier not in EXPORTERS:
        raise ValueError(f"Format d'export inconnu : {identifier}")
    return EXPORTERS[identifier](edition, options, responses).render()

"""The export formats, by identifier, and `render`."""

import json
from dataclasses import dataclass

from django.utils import timezone

from survey.exports.options import select_responses
from survey.exports.renderers import (
    datapackage_descriptor,
    render_csv,
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

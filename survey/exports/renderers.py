"""Renderers: rows to XLSX, JSON and ZIP bytes, streamed (CSV: survey.exports.csv)."""

import datetime
import decimal
import io
import json
import zipfile
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from survey.exports.csv import neutralise
from survey.exports.options import STATUSES
from survey.exports.rows import (
    DATA_PACKAGE_PROFILE,
    DONT_KNOW_NOTE,
    LICENCE,
    NOT_ASKED,
    _local,
    table_schema,
)


def _xlsx_cell(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: local time
    return value


# The template's only non-default cell style: openpyxl's date format, used by its export date.
XLSX_DATE_STYLE = 1


def _xlsx_sheet_path(number):
    """The part openpyxl writes the `number`th sheet to (in the order the sheets are made)."""
    return f"xl/worksheets/sheet{number}.xml"


def _xlsx_template(header, codebook_rows, extra_headers=()):
    """A small workbook from openpyxl (write-only): the header of each table (the responses,
    then each of `extra_headers`: (title, header)) and the codebook; the tables' rows are
    streamed into it afterwards."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Réponses")
    data.freeze_panes = "B2"
    data.append(header)
    for title, extra_header in extra_headers:
        sheet = workbook.create_sheet(title[:31])  # Excel's limit
        sheet.freeze_panes = "D2"
        sheet.append([_xlsx_cell(value) for value in extra_header])
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
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, datetime.datetime):
            serial = to_excel(value.replace(tzinfo=None))
            cells.append(f'<c r="{ref}" s="{XLSX_DATE_STYLE}" t="n"><v>{serial}</v></c>')
        elif isinstance(value, decimal.Decimal):
            cells.append(f'<c r="{ref}" t="n"><v>{value:f}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="n"><v>{value}</v></c>')
    cells.append("</row>")
    return "".join(cells).encode()


def _xlsx_sheet(markup, header, rows):
    """A table sheet's markup with `rows` (after its header) streamed into its sheetData."""
    letters = [get_column_letter(index) for index in range(1, len(header) + 1)]
    head, tail = markup.decode().split("</sheetData>")
    yield head.encode()
    for number, row in enumerate(rows, start=2):
        yield _xlsx_row(number, letters, row)
    yield f"</sheetData>{tail}".encode()


def render_xlsx(data_rows, codebook_rows, extra_sheets=()):
    """Stream an XLSX workbook: a data sheet, `extra_sheets` ((title, rows)) and a codebook.

    openpyxl (write-only) writes the workbook, each table's header and the codebook; every
    table's rows (the responses, a repeated group's items) are then streamed into its sheet,
    so that bytes flow from the first response on and no sheet is held in memory. Each table
    sheet reads the responses once, in turn.
    """
    tables = [iter(data_rows)] + [iter(rows) for _, rows in extra_sheets]
    headers = [next(rows) for rows in tables]
    titles = [title for title, _ in extra_sheets]
    template = _xlsx_template(headers[0], codebook_rows, zip(titles, headers[1:], strict=True))
    with zipfile.ZipFile(template) as archive:
        parts = [(name, archive.read(name)) for name in archive.namelist()]
    # openpyxl numbers the sheets in the order they were made: the tables first.
    streamed = {
        _xlsx_sheet_path(number): (header, rows)
        for number, (header, rows) in enumerate(zip(headers, tables, strict=True), start=1)
    }
    if not set(streamed) <= {name for name, _ in parts}:
        raise RuntimeError("openpyxl n'a pas écrit les feuilles de données attendues.")
    return render_zip(
        (name, _xlsx_sheet(markup, *streamed[name]) if name in streamed else [markup])
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
    covered = STATUSES[options.status].description
    description = (
        f"Réponses des collectivités territoriales au {edition.title} (Observatoire Data "
        f"Publica) : {covered}. Une ligne par réponse, une colonne par "
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

"""The one CSV writer: every CSV the site hands out (the exporters' files, the admin's and the
results' downloads) is written here, with one rule against formula injection.

The rule is OWASP's (« CSV Injection »): a text cell beginning with `=`, `+`, `-`, `@`, a tab
or a carriage return is prefixed with a quote, so that a spreadsheet shows it instead of
running it. Only text is touched: a number is written as a number, so -3 stays -3, while the
text "-3" becomes "'-3" (a figure that matters is exported as a number, not as text).
"""

import csv
import datetime
import io
import re

from django.http import StreamingHttpResponse

# Spreadsheets run a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# A spreadsheet may open a CSV with another separator than it was written with (French
# Excel splits on « ; », others on tabs) or cut a quoted line at its line breaks: a formula
# prefix after any of these starts a cell too.
FORMULA_AFTER_ANY_SEPARATOR = re.compile(
    r"(?:^|(?<=[,;\t|\r\n]))(?=[" + re.escape("".join(FORMULA_PREFIXES)) + "])"
)


def neutralise(text):
    """Make a spreadsheet cell's text inert: prefix formula-like text with a quote (XLSX, where
    a cell cannot be split further)."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_csv(text):
    """Make a CSV field's text inert: the same prefixes, at its start and after any separator
    or line break, where a spreadsheet that splits differently would start a cell."""
    return FORMULA_AFTER_ANY_SEPARATOR.sub("'", text)


# Codes and short labels repeat over millions of cells: their neutralised text is kept.
SHORT_TEXT = 64
SHORT_TEXT_CACHE = 8192


def _csv_text(text, cache):
    neutralised = neutralise_csv(text)
    if len(text) <= SHORT_TEXT and len(cache) < SHORT_TEXT_CACHE:
        cache[text] = neutralised
    return neutralised


def _csv_cells(row, cache):
    """A row as the csv module writes it (None is empty): text neutralised at its start and
    after any separator, dates in ISO 8601. Most cells are None or 0/1: they go first."""
    return [
        value
        if value is None or value.__class__ is int
        else (cache.get(value) or _csv_text(value, cache))
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
    cache = {}
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_cells(row, cache))
        if count % flush_every == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def csv_download(filename, rows, bom=True):
    """A streamed CSV attachment of `rows` (the header, then the data rows), as the admin and
    the results pages hand them to staff: comma-separated, UTF-8 with a BOM so that Excel
    reads the accents."""
    response = StreamingHttpResponse(
        render_csv(rows, bom=bom), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

"""Exports run from tests, and their files read back."""

import csv
import io
import json
import zipfile

from survey.exports.formats import render
from survey.exports.options import ExportOptions


def export(format_key, edition, **options):
    return b"".join(render(format_key, edition, ExportOptions(**options)))


def csv_rows(data, delimiter=","):
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def by_id(rows, key="identifiant"):
    return {row[key]: row for row in rows}


def unpack(data, directory):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(directory)
    return json.loads((directory / "datapackage.json").read_text())

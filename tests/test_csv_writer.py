"""The one CSV writer (survey.exports.csv): its formula rule and its download helper."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from survey.exports.csv import csv_download, neutralise_csv, render_csv


def written(rows, **options):
    return b"".join(render_csv(rows, **options)).decode()


def read_back(rows, **options):
    return list(csv.reader(io.StringIO(written(rows, **options))))


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        # OWASP's rule: text that begins with "-" is neutralised even when it reads as a
        # number; a figure is exported as a number, which is left alone (below).
        ("-3", "'-3"),
    ],
)
def test_a_text_cell_beginning_like_a_formula_gets_a_quote_in_front(text, inert):
    assert neutralise_csv(text) == inert
    assert read_back([[text]]) == [[inert]]


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("x;=1", "x;'=1"),
        ("a,@SUM(1)", "a,'@SUM(1)"),
        ("un\n-2", "un\n'-2"),
        ("tab\t+1", "tab\t'+1"),
        ("pipe|=cmd", "pipe|'=cmd"),
    ],
)
def test_a_formula_after_a_separator_or_a_line_break_is_neutralised_too(text, inert):
    assert neutralise_csv(text) == inert


@pytest.mark.parametrize("text", ["Bonjour", "", "12", "a=b", "« -3 »", "e-mail", "x; y"])
def test_ordinary_text_is_written_as_it_is(text):
    assert read_back([[text]]) == [[text]]


def test_numbers_dates_and_empty_cells_are_not_text_and_stay_as_they_are():
    moment = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
    assert written([[-3, -0.5, Decimal("-1.25"), None, moment]]) == (
        '-3,-0.5,-1.25,,"2025-03-01T09:30:00+00:00"\r\n'
    )


def test_every_text_field_is_quoted_and_the_bom_comes_first_when_asked():
    assert written([["a", 1]], bom=True) == '\ufeff"a",1\r\n'
    assert written([["a", "b;c"]], delimiter=";") == '"a";"b;c"\r\n'


def test_a_download_streams_an_attachment_in_utf8_with_a_bom():
    response = csv_download("essai.csv", [["nom", "n"], ["Évry", 3], ["=danger", -1]])
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="essai.csv"'
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["nom", "n"], ["Évry", "3"], ["'=danger", "-1"]]

"""The XLSX workbook streams every table: the responses and a repeated group's items
(survey/exports/renderers.render_xlsx; issue 26)."""

import io

import openpyxl

from survey.exports.renderers import render_xlsx


def test_the_first_bytes_leave_before_any_item_of_the_items_sheet_is_read():
    read = []

    def items():
        yield ["identifiant", "groupe", "numero", "nom"]
        for number in range(1, 4):
            read.append(number)
            yield ["r1", "projets", number, f"Projet {number}"]

    chunks = render_xlsx(iter([["identifiant"], ["r1"]]), [["Colonne"]], [("Projets", items())])
    next(chunks)
    assert read == []
    rest = b"".join(chunks)
    assert read == [1, 2, 3]
    assert rest


def test_the_items_sheet_holds_its_header_then_its_rows_with_their_types():
    items = [
        ["identifiant", "groupe", "numero", "nom", "publication"],
        ["r1", "projets", 1, "=HYPERLIEN()", True],
        ["r1", "projets", 2, "Tri des courriers", False],
    ]
    data = [["identifiant", "nombre"], ["r1", 2]]
    workbook = openpyxl.load_workbook(
        io.BytesIO(b"".join(render_xlsx(iter(data), [["Colonne"]], [("Projets", iter(items))])))
    )
    assert workbook.sheetnames == ["Réponses", "Projets", "Dictionnaire"]
    assert [list(row) for row in workbook["Réponses"].values] == data
    assert [list(row) for row in workbook["Projets"].values] == [
        items[0],
        ["r1", "projets", 1, "'=HYPERLIEN()", True],
        items[2],
    ]
    assert workbook["Projets"].freeze_panes == "D2"

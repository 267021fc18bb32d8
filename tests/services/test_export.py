"""Exports for Excel: formula-like cells escaped, UTF-8 with BOM, sheet names Excel accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from oma_desktop.core.errors import OmaError
from oma_desktop.services.export import Sheet, escape_cell, write_sheets

RISKY = ["=HYPERLINK(\"http://x\",\"clic\")", "+51 987", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("value", RISKY)
def test_formula_like_text_is_escaped(value: str) -> None:
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "", "12", "José = Pepe", None, -5, 3])
def test_other_cells_are_left_alone(value: str | int | None) -> None:
    assert escape_cell(value) == value


def test_xlsx_keeps_risky_text_as_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = Sheet("Hoja: [1]/2?", ["Nombre", "N"], [[v, 1] for v in RISKY], notes=["=título"])
    path = write_sheets(tmp_path / "x.xlsx", [sheet, sheet])
    book = load_workbook(path)
    assert book.sheetnames == ["Hoja   1  2", "Hoja   1  2 (2)"]
    ws = book.worksheets[0]
    assert ws["A1"].value == "=título" and ws["A1"].data_type == "s" and ws["A1"].quotePrefix
    cells = [ws.cell(row=r, column=1) for r in range(4, 4 + len(RISKY))]
    # read back as typed (XML keeps a lone carriage return as a line feed)
    assert [c.value for c in cells] == [v.replace("\r", "\n") for v in RISKY]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert ws.cell(row=4, column=2).value == 1  # numbers stay numbers


def test_csv_is_excel_ready(tmp_path: Path) -> None:
    path = write_sheets(tmp_path / "x.csv", [Sheet("T", ["Nombre", "Tema"],
                                                   [["Ñusta", "=1+1"], ["Ana, María", "a\nb"]])])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == [
        "Nombre,Tema", "Ñusta,'=1+1", '"Ana, María","a', 'b"']


def test_unknown_format_and_unwritable_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_sheets(tmp_path / "x.ods", [])
    with pytest.raises(OmaError, match=r"No se pudo guardar x\.csv: la carpeta .*no-such-folder no"
                                       r" existe\. Elija otra carpeta\."):
        write_sheets(tmp_path / "no-such-folder" / "x.csv", [Sheet("T", ["A"], [])])

"""Write the office's lists (the day's sheet, the call list) as CSV or XLSX for Excel.

Screens build a :class:`Sheet` of plain text from a service and call :func:`export_sheets`
(which checks that the acting user may export personal data) from a background job;
nothing here knows about Qt.

CSV: UTF-8 with a byte-order mark (without it Excel on Windows reads "José" as "JosÃ©")
and **commas** between fields: Windows configured for Spanish (Peru) uses the point as its
decimal mark and the comma as its list separator, which is what Excel splits an opened CSV
on (Spain's ";" belongs to its decimal comma). For any doubt about a PC's settings the XLSX
is the format to use; the CSV is for other programs.

Formula injection: a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula by a spreadsheet ("=HYPERLINK(...)" typed as a
name). In a CSV such a cell gets a leading apostrophe (it shows, but is never run); in an
XLSX the cell is stored as text with Excel's own "quote prefix" (what typing ``'`` before
the text does), so the value reads exactly as typed and is never a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.printing.sheets import PrintDocument, write_pdf
from oma_desktop.services import audit
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

Cell = str | int | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ","
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the XLSX sheet's name), column headings and rows of text.

    ``notes`` are lines written above the table (the casa, the day, the totals).
    """

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    notes: Sequence[str] = field(default_factory=tuple)
    widths: Sequence[int] = field(default_factory=tuple)  # XLSX column widths, in characters


def is_risky(value: Cell) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def escape_cell(value: Cell) -> Cell:
    """The value as it may be written to a CSV: risky text gets a leading apostrophe."""
    if is_risky(value):
        return "'" + str(value)
    return value


def _clean(value: Cell) -> Cell:
    """Cells never carry control characters other than newlines (a sheet is not a terminal)."""
    if isinstance(value, str):
        return "".join(c for c in value if c in "\n\t" or c >= " " or c == "\r")
    return value


def write_csv(path: Path, sheets: Sequence[Sheet], delimiter: str = CSV_DELIMITER) -> None:
    """All sheets one after the other (notes, headings, rows), a blank line between them."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        for number, sheet in enumerate(sheets):
            if number:
                writer.writerow([])
            for note in sheet.notes:
                writer.writerow([escape_cell(_clean(note))])
            writer.writerow([escape_cell(_clean(h)) for h in sheet.headers])
            for row in sheet.rows:
                writer.writerow(["" if v is None else escape_cell(_clean(v)) for v in row])


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel refuses sheet names over 31 characters, with []:*?/\\, or repeated."""
    base = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()[:31] or "Hoja"
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name


def _put_row(ws: Any, row_number: int, values: Sequence[Cell], bold: Any = None) -> None:
    for col, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        cell = ws.cell(row=row_number, column=col)
        cell.value = _clean(value)
        if isinstance(value, str):
            cell.data_type = "s"  # "=..." assigned above would have become a formula
            if is_risky(value):
                cell.quotePrefix = True
        if bold is not None:
            cell.font = bold


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> None:
    """One worksheet per sheet; every text cell is a string cell, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        ws = workbook.create_sheet(_sheet_title(sheet.title, used))
        row_number = 0
        for note in sheet.notes:
            row_number += 1
            _put_row(ws, row_number, [note])
        row_number += 1 + bool(sheet.notes)
        _put_row(ws, row_number, list(sheet.headers), bold)
        ws.freeze_panes = ws.cell(row=row_number + 1, column=1)
        for row in sheet.rows:
            row_number += 1
            _put_row(ws, row_number, list(row))
        for col, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
    workbook.save(path)


def export_sheets(
    session: Session, path: Path, sheets: Sequence[Sheet], *, personal: bool = True
) -> Path:
    """The export door: :func:`write_sheets` for a role that may export these sheets
    (``EXPORT_PERSONAL`` for lists with names, ``EXPORT_AGGREGATE`` for statistics)."""
    session.require(Permission.EXPORT_PERSONAL if personal else Permission.EXPORT_AGGREGATE)
    out = write_sheets(path, sheets)
    audit.exported(session, out, sheets)  # recorded, or the file is removed (issue #9.4)
    return out


def write_sheets(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` in the format named by ``path``'s suffix (.csv or .xlsx)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"unknown export format: {path.suffix!r}")
    try:
        (write_xlsx if suffix == "xlsx" else write_csv)(path, sheets)
    except OSError as exc:
        raise file_error(path, exc) from exc
    return path


def file_error(path: Path, exc: OSError) -> OmaError:
    """A Spanish message for a file that could not be written (also used for PDFs)."""
    import errno

    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return OmaError(_(
            "Could not save {file}: it is open in another program or the folder cannot be "
            "written. Close it or choose another folder."
        ).format(file=path.name))
    if exc.errno == errno.ENOSPC:
        return OmaError(_("Could not save {file}: the disk is full. Free some space or "
                          "choose another disk.").format(file=path.name))
    if isinstance(exc, FileNotFoundError):
        return OmaError(_("Could not save {file}: the folder {folder} does not exist. "
                          "Choose another folder.").format(file=path.name, folder=path.parent))
    return OmaError(_("Could not save {file}: {reason}. Choose another folder or free some "
                      "disk space.").format(file=path.name, reason=exc.strerror or exc))


def save_pdf(path: Path, document: PrintDocument) -> Path:
    """Print ``document`` to the PDF file ``path``; a file that cannot be written is
    reported in Spanish."""
    try:
        return write_pdf(path, document)
    except OSError as exc:
        raise file_error(path, exc) from exc

"""Reading a spreadsheet (CSV or XLSX) into a plain table of strings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.errors import OmaError
from oma_desktop.core.text import fold
from oma_desktop.i18n import _
from oma_desktop.services.importer._constants import _MAX_TITLE_ROWS, _SNIFF_LINES


@dataclass
class Table:
    """The cells of one CSV file or XLSX sheet, as trimmed strings.

    ``row_numbers[i]`` is the spreadsheet row (1-based, counting the header and any
    skipped empty row) of ``rows[i]``, so messages point where the clerk will look.
    """

    headers: list[str]
    rows: list[list[str]]
    sheet_names: list[str] = field(default_factory=list)
    sheet: str = ""
    header_row: int = 1
    row_numbers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.row_numbers:
            self.row_numbers = [self.header_row + 1 + i for i in range(len(self.rows))]
        width = len(self.headers)
        self.rows = [(r + [""] * (width - len(r)))[:width] for r in self.rows]


def _clean_header(value: str) -> str:
    return " ".join(value.split())


def _cell_text(value: Any) -> str:
    """An XLSX cell as text: dates in ISO, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _build_table(
    raw: Iterable[tuple[int, list[str]]], path: Path, sheet_names: list[str], sheet: str
) -> Table:
    """Header = first non-empty row (a lone title cell above the real header is skipped)."""
    numbered = [(n, cells) for n, cells in raw if any(c for c in cells)]
    if not numbered:
        if sheet:
            raise OmaError(
                _("The sheet «{sheet}» of {path} is empty: it has no rows to import.").format(
                    sheet=sheet, path=path.name
                )
            )
        raise OmaError(
            _("The file {path} is empty: it has no rows to import.").format(path=path.name)
        )
    start = 0
    # "PADRÓN DE VECINOS MIGRANTES - CV1" above the real header row
    while (
        start < min(_MAX_TITLE_ROWS, len(numbered) - 1)
        and sum(1 for c in numbered[start][1] if c) == 1
        and sum(1 for c in numbered[start + 1][1] if c) >= 2
    ):
        start += 1
    header_number, header = numbered[start]
    body = numbered[start + 1 :]
    if not body:
        where = (_("The sheet «{sheet}» of {path}").format(sheet=sheet, path=path.name) if sheet
                 else _("The file {path}").format(path=path.name))
        raise OmaError(_("{where} has only the column headers: it has no rows to import. "
                         "Check that you chose the right file or sheet.").format(where=where))
    width = max([len(header), *(len(cells) for _n, cells in body)])
    # drop trailing columns that have neither a header nor any value
    used = [i for i in range(width) if (i < len(header) and header[i]) or any(
        i < len(cells) and cells[i] for _n, cells in body)]
    width = used[-1] + 1 if used else 0
    headers = [_clean_header(h) for h in (header + [""] * width)[:width]]
    return Table(
        headers=headers,
        rows=[(cells + [""] * width)[:width] for _n, cells in body],
        sheet_names=sheet_names,
        sheet=sheet,
        header_row=header_number,
        row_numbers=[n for n, _cells in body],
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _detect_delimiter(text: str) -> str:
    """``;``, ``,`` or tab: the one that splits the first lines into the most regular columns."""
    sample = [line for line in text.splitlines()[:_SNIFF_LINES] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in (";", ",", "\t"):
        try:
            widths = [len(r) for r in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        wide = [w for w in widths if w > 1]
        if not wide:
            continue
        # the most frequent width over one column (a title line above the header is ignored)
        common = max(set(wide), key=lambda w: (wide.count(w), w))
        score = (wide.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, data: bytes) -> Table:
    text = _decode(data)
    delimiter = _detect_delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        raw = [(n, [c.strip() for c in row]) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise OmaError(
            _(
                "The file {path} is not a readable CSV ({error}). Open it in Excel and save it "
                "again as «CSV (delimitado por comas)»."
            ).format(path=path.name, error=exc)
        ) from exc
    return _build_table(raw, path, [], "")


def _xlsx_rows(ws: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        yield number, [_cell_text(v) for v in values]


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl

    damaged = _(
        "The file {path} is not a valid Excel file or is damaged (if it has a password, remove "
        "it). Open it in Excel, save it again as .xlsx and retry."
    ).format(path=path.name)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it ignores (data validation, slicers...)
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, PermissionError):
            raise
        raise OmaError(damaged) from exc
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            if not names:
                raise OmaError(damaged)
            chosen = names[0]
        else:
            matches = [n for n in names if n == sheet] or [
                n for n in names if fold(n) == fold(sheet)
            ]
            if not matches:
                raise OmaError(
                    _("The file {path} has no sheet named «{sheet}». Its sheets are: {sheets}.").format(
                        path=path.name, sheet=sheet, sheets=", ".join(f"«{n}»" for n in names)
                    )
                )
            chosen = matches[0]
        ws = wb[chosen]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = list(_xlsx_rows(ws))
        return _build_table(raw, path, names, chosen)
    finally:
        wb.close()


def read_table(path: Path | str, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX list; raises :class:`OmaError` with what to do when it cannot."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsb"):
        raise OmaError(
            _(
                "The file {path} is in the old Excel format ({suffix}). Open it in Excel and save "
                "it as «Libro de Excel (.xlsx)» or as CSV, then import that file."
            ).format(path=path.name, suffix=suffix)
        )
    if suffix == ".ods":
        raise OmaError(
            _(
                "The file {path} is a LibreOffice spreadsheet (.ods). Save it as .xlsx or CSV "
                "and import that file."
            ).format(path=path.name)
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise OmaError(
            _("The file {path} does not exist. Check the name and the folder.").format(path=path)
        ) from exc
    except IsADirectoryError as exc:
        raise OmaError(
            _("{path} is a folder, not a file. Choose the Excel or CSV file.").format(path=path)
        ) from exc
    except OSError as exc:
        raise OmaError(
            _(
                "The file {path} cannot be read: it may be open in another program or you may "
                "have no permission. Close it and try again."
            ).format(path=path)
        ) from exc
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        try:
            return _read_xlsx(path, sheet)
        except PermissionError as exc:
            raise OmaError(
                _(
                    "The file {path} cannot be read: it may be open in another program or you "
                    "may have no permission. Close it and try again."
                ).format(path=path)
            ) from exc
    if data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data[:4096]:
        raise OmaError(
            _(
                "The file {path} is not a list that can be imported. Save it from Excel as .xlsx "
                "or as CSV and import that file."
            ).format(path=path.name)
        )
    return _read_csv(path, data)

"""A report (any :class:`~oma_desktop.services.report_model.ReportDocument`) as Excel and
CSV, and the version of it that may be given to partners (issue #11, points 3 and 7).

Nothing here knows about Qt; the PDF is ``printing/report_pdf.py`` (:func:`write_pdf` adds
the Spanish message for a file that cannot be written, :func:`casa_header` the casa's
letterhead). ``services.reports.write_report`` is the door screens and the command line
use: it checks the role, makes the partner version when asked and records the export.

**Partners** (:func:`partner_view`): a document with names or document numbers
(``personal``) is never given to partners. In the aggregate ones every ``count`` cell of
1 to 4 becomes ``<5`` and the percentages of its row are left blank. Where a group of cells
adds up to a published total (a column of a table, or a row where one column is the sum
of the others, as in a cross-table) and only one cell of the group was suppressed, it could
be recovered by subtracting the others from the total: the smallest other non-zero cell is
suppressed too and shown as ``*`` (secondary suppression, within each table). Totals are
counted, never summed from the cells shown, and a total of 1 to 4 is suppressed as well.
The map of a partner document shows classes only, the lowest being «1 – 4».

**Excel** (:func:`write_xlsx`): a cover sheet (title, scope, period, filters, date, notes,
contents) and one sheet per table, numbered like the PDF («2.1 Por grupo de edad»). Figures
are numbers (percentages are the document's 0–100 values shown with a «%»), the header row
is bold and frozen, the totals row bold; tables with a chart hint carry a native Excel chart.

**CSV** (:func:`write_csv`): UTF-8 with a byte-order mark (without it Excel reads «José» as
«JosÃ©») and **commas** between fields, as ``services/export.py`` decided for the office's
lists: Windows set to Spanish (Peru) uses the point as decimal mark and the comma as list
separator, which is what Excel splits an opened CSV on (the «;» of Spain goes with its
decimal comma); decimals are written with a point. A document with one table (the 5W, the
follow-up list) is that table: a header row, its rows and the totals row. A document with
several tables is written in *long format*, one figure per line — report, scope, period,
filters, section, table, table key, row number (blank on the totals row), row, column,
kind and value — which an analyst at
headquarters can filter and pivot, and append from several casas or months without
rearranging anything. The notes are in the Excel and PDF versions.

**Formula injection** (OWASP, "CSV Injection"): text that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, also after leading spaces, would be run as a formula by a
spreadsheet; :func:`escape_cell` puts an apostrophe before it. Every text written to either
format passes through it (titles, labels, headers, notes); numbers stay numbers.

Both writers are whole-or-nothing: the file is written beside its destination under a
temporary name and moved into place only when complete.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import N_, _, format_date, format_datetime
from oma_desktop.services.export import file_error
from oma_desktop.services.report_model import (
    SMALL_CELL,
    SUPPRESSED,
    ReportDocument,
    Table,
)
from oma_desktop.services.session import Session

if TYPE_CHECKING:
    from oma_desktop.printing.report_pdf import CasaHeader

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ","
# a cell suppressed so that a small one cannot be recovered from the total (its value may be
# 5 or more: it is not marked «<5»)
COMPLEMENT = "*"
# text columns that would identify a person: refused in a partner document whatever the
# document says about itself
PERSONAL_KEYS = frozenset({
    "name", "full_name", "first_name", "last_name", "names", "surnames", "person",
    "person_name", "document", "document_number", "document_type", "doc_number", "phone",
    "email", "address", "birth_date",
})
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # what an xlsx cannot hold

KIND_LABELS = {"text": N_("text"), "count": N_("count"), "number": N_("number"),
               "percent": N_("percent"), "days": N_("days")}


class NotForPartnersError(OmaError):
    """A document with personal data was asked for in its partner version."""


# --- escaping ----------------------------------------------------------------------------------


def escape_cell(value: Any) -> Any:
    """``value`` as it may be written to a spreadsheet: text a spreadsheet would run as a
    formula gets a leading apostrophe; numbers and everything else are returned unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text(value: Any) -> str:
    """Any value as escaped text without control characters (newlines and tabs kept)."""
    return str(escape_cell(_ILLEGAL.sub("", str(value))))


# --- the partner version -----------------------------------------------------------------------


def _is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL_CELL


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _row_total(table: Table, counts: list[int]) -> int | None:
    """The count column that is the sum of the other count columns in every row (the total
    of a cross-table, referrals issued split by outcome), or None."""
    lines = [*table.rows, *([table.total] if table.total is not None else [])]
    for i in counts:
        others = [j for j in counts if j != i]
        if len(others) < 2 or not lines:
            continue
        if all(all(_is_count(line[j]) for j in counts)
               and line[i] == sum(line[j] for j in others) for line in lines):
            return i
    return None


def _suppress_table(table: Table) -> bool:
    """Suppress ``table``'s small cells in place; True when secondary suppression was needed."""
    counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    if not counts:
        return False
    row_total = _row_total(table, counts)  # before any cell becomes «<5»
    rows = [list(r) for r in table.rows]
    for row in rows:
        for i in counts:
            if _is_small(row[i]):
                row[i] = SUPPRESSED
    # groups of body cells adding up to a published figure: each count column (its total is
    # in the totals row or elsewhere in the report) and, where a column is the sum of the
    # others (a cross-table's total, referrals issued split by outcome), each row
    groups: list[list[tuple[int, int]]] = [[(r, i) for r in range(len(rows))] for i in counts]
    if row_total is not None:
        groups += [[(r, i) for i in counts if i != row_total] for r in range(len(rows))]
    secondary = False
    changed = True
    while changed:  # a complement may leave another group with a single suppressed cell
        changed = False
        for group in groups:
            hidden = [cell for cell in group if rows[cell[0]][cell[1]] in (SUPPRESSED, COMPLEMENT)]
            if len(hidden) != 1:
                continue
            shown = [cell for cell in group
                     if _is_count(rows[cell[0]][cell[1]]) and rows[cell[0]][cell[1]] > 0]
            if not shown:
                continue
            r, i = min(shown, key=lambda cell: rows[cell[0]][cell[1]])
            rows[r][i] = COMPLEMENT
            secondary = changed = True
    percents = [i for i, c in enumerate(table.columns) if c.kind == "percent"]
    for row in rows:
        if any(row[i] in (SUPPRESSED, COMPLEMENT) for i in counts):
            for i in percents:
                row[i] = ""
    table.rows = rows
    if table.total is not None:
        total = list(table.total)
        for i in counts:
            if _is_small(total[i]):
                total[i] = SUPPRESSED
                for j in percents:
                    total[j] = ""
        table.total = total
    if secondary:
        extra = _("«*»: suppressed so that a cell under 5 cannot be worked out from the total.")
        table.note = f"{table.note} {extra}".strip()
    return secondary


def partner_view(doc: ReportDocument) -> ReportDocument:
    """A copy of ``doc`` that may be given to partners (see the module's description).

    Raises :class:`NotForPartnersError` for a document with personal data."""
    personal = [c.label for t in doc.tables() for c in t.columns if c.key in PERSONAL_KEYS]
    if doc.personal or personal:
        raise NotForPartnersError(_(
            "«{title}» lists people by name or document, so it cannot be prepared for "
            "partners. Give partners an aggregate report (general, diagnostics or 5W) "
            "instead.").format(title=doc.title))
    out = copy.deepcopy(doc)
    out.for_partners = True
    secondary = False
    for table in out.tables():
        secondary = _suppress_table(table) or secondary
    notes = [_("For partners: cells of fewer than 5 people are shown as «<5» and their "
               "percentages left blank; totals are counted over everyone.")]
    if secondary:
        notes.append(_("Where a single cell of a column or row was suppressed, the next "
                       "smallest was suppressed too and marked «*», so the small one cannot be "
                       "worked out by subtracting from the total."))
    out.notes = [*out.notes, *notes]
    return out


# --- what both formats need ------------------------------------------------------------------


def period_text(doc: ReportDocument) -> str:
    return _("{start} to {end}").format(start=format_date(doc.period_from),
                                        end=format_date(doc.period_to))


def numbered_tables(doc: ReportDocument) -> Iterator[tuple[str, str, Table]]:
    """(number «2.1», section title, table) for every table, numbered as in the PDF."""
    for s, section in enumerate(doc.sections, start=1):
        for t, table in enumerate(section.tables, start=1):
            yield f"{s}.{t}", section.title, table


def _total_row(table: Table) -> list[Any] | None:
    if table.total is None:
        return None
    total = list(table.total)
    if total and total[0] in ("", None) and table.columns[0].kind == "text":
        total[0] = _("Total")
    return total


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Run ``write`` on a temporary file beside ``path`` and move it into place, as the PDF
    is written (``write_beside``); nothing is left behind on failure; an unwritable
    destination is reported in Spanish."""
    from oma_desktop.printing.report_pdf import write_beside

    try:
        return write_beside(path, write)
    except OSError as exc:
        raise file_error(path, exc) from exc


# --- Excel -------------------------------------------------------------------------------------


def sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = " ".join("".join(" " if c in "[]:*?/\\" else c for c in title).split())
    base = base.strip("'")
    if len(base) > 31:  # cut at a word where there is one
        cut = base[:32].rfind(" ")
        base = base[:cut] if cut > 12 else base[:31]
    base = base.strip() or _("Sheet")
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)].rstrip() + suffix, n + 1
    used.add(name.casefold())
    return name


_NUMBER_FORMATS = {"count": "#,##0", "percent": '0.0"%"', "days": "0.0", "number": "#,##0.##"}


def write_xlsx(doc: ReportDocument, path: Path) -> Path:
    """Write ``doc`` as an Excel workbook at ``path`` (see the module's description)."""
    return _atomic(Path(path), lambda temp: temp.write_bytes(_workbook_bytes(doc)))


def _workbook_bytes(doc: ReportDocument) -> bytes:
    """The workbook built in memory: a full disk then fails in our own write, not inside
    openpyxl's zip file (which would leave it to the garbage collector to report)."""
    import io

    buffer = io.BytesIO()
    _build_workbook(doc).save(buffer)
    return buffer.getvalue()


def _build_workbook(doc: ReportDocument) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter, quote_sheetname

    workbook = Workbook()
    cover = workbook.active
    used: set[str] = set()
    cover.title = sheet_name(_("Report"), used)
    bold, title_font = Font(bold=True), Font(bold=True, size=14, color="1F3A5F")
    header_fill = PatternFill("solid", fgColor="E3E8EF")
    rule = Side(style="thin", color="5B6B80")

    def put(ws: Any, row: int, col: int, value: Any, font: Any = None) -> Any:
        cell = ws.cell(row=row, column=col)
        if value is None or value == "":
            return cell
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        if isinstance(value, int | float):
            cell.value = value
        elif isinstance(value, dt.datetime | dt.date):
            cell.value = value
            cell.number_format = "DD/MM/YYYY HH:MM" if isinstance(value, dt.datetime) \
                else "DD/MM/YYYY"
        else:
            cell.value = _text(value)
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    # the cover
    row = 1
    for line in (_("Metropolitan Municipality of Lima"),
                 _("Municipal Office for the Attention of Migrant Neighbours (OMA)")):
        put(cover, row, 1, line, bold)
        row += 1
    row += 1
    put(cover, row, 1, doc.title, title_font)
    row += 2
    facts = [(_("Scope"), doc.scope), (_("Period"), period_text(doc)),
             (_("Filters"), "; ".join(doc.filters) if doc.filters else _("None")),
             (_("Generated on"), format_datetime(doc.generated_at))]
    for label, value in facts:
        put(cover, row, 1, label, bold)
        put(cover, row, 2, value)
        row += 1
    if doc.for_partners:
        row += 1
        put(cover, row, 1, _("For partners: cells under 5 suppressed"),
            Font(bold=True, color="B00020"))
        row += 1
    if doc.personal:
        row += 1
        put(cover, row, 1, _("Contains personal data: for internal use of the OMA only."),
            Font(bold=True, color="B00020"))
        row += 1
    contents_row = row + 1
    row = contents_row + 1
    put(cover, contents_row, 1, _("Contents"), bold)
    sheets: list[tuple[str, str, str, Table]] = []
    for number, section_title, table in numbered_tables(doc):
        sheets.append((sheet_name(f"{number} {table.title}", used), number, section_title,
                       table))
    for name, number, section_title, table in sheets:
        put(cover, row, 1, number)
        link = put(cover, row, 2, f"{section_title} — {table.title}")
        link.hyperlink = f"#{quote_sheetname(name)}!A1"
        link.font = Font(color="1F3A5F", underline="single")
        row += 1
    if doc.notes:
        row += 1
        put(cover, row, 1, _("Notes"), bold)
        row += 1
        for note in doc.notes:
            cell = put(cover, row, 1, note)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cover.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
            cover.row_dimensions[row].height = 15 * (1 + len(note) // 110)
            row += 1
    cover.column_dimensions["A"].width = 22
    cover.column_dimensions["B"].width = 70
    for letter in "CDEF":
        cover.column_dimensions[letter].width = 12

    # one sheet per table
    for name, number, section_title, table in sheets:
        ws = workbook.create_sheet(name)
        put(ws, 1, 1, f"{number} {table.title}", Font(bold=True, size=12, color="1F3A5F"))
        put(ws, 2, 1, section_title, Font(italic=True))
        header = 4
        for col, column in enumerate(table.columns, start=1):
            cell = put(ws, header, col, column.label, bold)
            cell.fill = header_fill
            cell.border = Border(bottom=rule)
            cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                       horizontal="left" if column.kind == "text" else "right")
        ws.freeze_panes = ws.cell(row=header + 1, column=1)
        row = header
        body_rows = [list(r) for r in table.rows]
        total = _total_row(table)
        for values, font in [*((r, None) for r in body_rows), *([(total, bold)] if total else [])]:
            row += 1
            for col, (column, value) in enumerate(zip(table.columns, values, strict=True),
                                                  start=1):
                cell = put(ws, row, col, value, font)
                if column.kind != "text":
                    cell.alignment = Alignment(horizontal="right")
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        cell.number_format = _NUMBER_FORMATS[column.kind]
                if font is not None:
                    cell.border = Border(top=rule)
        last_body = header + len(body_rows)
        if not body_rows:
            row += 1
            put(ws, row, 1, _("No data for this period."))
        if table.note:
            row += 2
            put(ws, row, 1, table.note, Font(italic=True, size=9))
        for col, column in enumerate(table.columns, start=1):
            values = [column.label, *(r[col - 1] for r in body_rows),
                      *([total[col - 1]] if total else [])]
            longest = max(len(_shown(v, column.kind)) for v in values)
            if column.kind != "text":
                longest = min(longest, 14)
            ws.column_dimensions[get_column_letter(col)].width = max(8, min(longest + 2, 60))
        if table.chart and body_rows:
            _add_chart(ws, table, header, last_body)
    return workbook


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and kind in ("percent", "days"):
        return f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _add_chart(ws: Any, table: Table, header: int, last_body: int) -> None:
    """A native Excel chart of the table (openpyxl's charts), right of the table."""
    from openpyxl.chart import BarChart, PieChart, Reference
    from openpyxl.utils import get_column_letter

    category = next((i for i, c in enumerate(table.columns) if c.kind == "text"), None)
    series = [table.column_index(c.key) for c in table.series_columns()]
    if category is None or not series:
        return
    cats = Reference(ws, min_col=category + 1, min_row=header + 1, max_row=last_body)
    count = last_body - header
    chart: Any
    if table.chart == "pie":
        chart = PieChart()
        series = series[:1]
        chart.height, chart.width = 9.0, 14.0
    else:
        chart = BarChart()
        chart.type = "bar" if table.chart == "hbar" else "col"
        if table.chart == "hbar":
            chart.y_axis.scaling.orientation = "minMax"
            chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as listed
        chart.height = max(7.5, 0.55 * count + 2.5) if table.chart == "hbar" else 8.5
        chart.width = 18.0
        chart.y_axis.title = None
        chart.y_axis.majorGridlines = None
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        if len(series) == 1:
            chart.legend = None
    for index in series:
        data = Reference(ws, min_col=index + 1, min_row=header, max_row=last_body)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.title = _text(table.title)
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}{header}")


# --- CSV ---------------------------------------------------------------------------------------


def write_csv(doc: ReportDocument, path: Path, delimiter: str = CSV_DELIMITER, *,
              table: str | None = None) -> Path:
    """Write ``doc`` as CSV at ``path``: one table as itself, several in long format (see the
    module's description); ``table`` (a table key) writes only that table, as itself — the
    5W's own table in the columns R4V loads."""
    tables = [doc.table(table)] if table is not None else list(doc.tables())

    def write(temp: Path) -> None:
        with temp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
            if len(tables) == 1:
                _plain_csv(writer, tables[0])
            else:
                _long_csv(writer, doc)

    return _atomic(Path(path), write)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return _text(value)


def _plain_csv(writer: Any, table: Table) -> None:
    writer.writerow([_text(c.label) for c in table.columns])
    total = _total_row(table)
    for row in [*table.rows, *([total] if total else [])]:
        writer.writerow([_csv_value(v) for v in row])


def long_header() -> list[str]:
    return [_("Report"), _("Scope"), _("Period start"), _("Period end"), _("Filters"), _("Section"),
            _("Table"), _("Table key"), _("Row number"), _("Row"), _("Column"), _("Kind"),
            _("Value")]


def _long_csv(writer: Any, doc: ReportDocument) -> None:
    writer.writerow([_text(h) for h in long_header()])
    head = [_text(doc.title), _text(doc.scope), doc.period_from.isoformat(),
            doc.period_to.isoformat(), _text("; ".join(doc.filters))]
    for number, section_title, table in numbered_tables(doc):
        label_at = next((i for i, c in enumerate(table.columns) if c.kind == "text"), None)
        total = _total_row(table)
        where = [_text(section_title), _text(f"{number} {table.title}"), _text(table.key)]
        lines: list[tuple[int | str, list[Any]]] = [
            (n, list(row)) for n, row in enumerate(table.rows, start=1)]
        lines += [("", total)] if total else []
        for n, row in lines:
            label = "" if label_at is None else row[label_at]
            for i, column in enumerate(table.columns):
                if i == label_at:
                    continue
                writer.writerow([*head, *where, n, _csv_value(label), _text(column.label),
                                 _text(_(KIND_LABELS[column.kind])), _csv_value(row[i])])


# --- the PDF, with the casa's letterhead -------------------------------------------------------


def write_pdf(doc: ReportDocument, path: Path, *, casa: CasaHeader | None = None,
              zones: Mapping[str, str] | None = None) -> Path:
    """``printing.report_pdf.render_report_pdf`` with a file that cannot be written reported
    in Spanish (the printing layer raises the bare OSError)."""
    from oma_desktop.printing.report_pdf import render_report_pdf

    try:
        return render_report_pdf(doc, Path(path), casa=casa, zones=zones)
    except OSError as exc:
        raise file_error(Path(path), exc) from exc


def write_report_pdf(session: Session, doc: ReportDocument, path: Path, *,
                     casa_id: str | None = None) -> Path:
    """:func:`write_pdf` headed by the casa ``casa_id`` (None: consolidated), its maps with
    the zones file in force for the session's data folder."""
    from oma_desktop.services.mapping import zones_of

    return write_pdf(doc, path, casa=casa_header(session, casa_id), zones=zones_of(session))


def casa_header(session: Session, casa_id: str | None) -> CasaHeader | None:
    """The letterhead of ``casa_id`` (its name, contact and logo), or None for a consolidated
    report or an unknown casa."""
    from oma_desktop.printing.report_pdf import CasaHeader
    from oma_desktop.services.casas import casa_settings

    if not casa_id:
        return None
    try:
        casa = casa_settings(session, casa_id)
    except KeyError:
        return None
    contact = " · ".join(p for p in (casa.address, casa.phone, casa.email) if p)
    return CasaHeader(casa.name, contact, casa.logo_png or None)


__all__ = ["COMPLEMENT", "CSV_DELIMITER", "NotForPartnersError", "casa_header", "escape_cell",
           "numbered_tables", "partner_view", "period_text", "sheet_name", "write_csv",
           "write_pdf", "write_report_pdf", "write_xlsx"]

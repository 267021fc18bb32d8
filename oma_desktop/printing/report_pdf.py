"""A report as a PDF: A4 portrait, the municipal letterhead (issue #11, points 1 and 3).

Renders any report document (general, the two diagnostics, the 5W, the follow-up list):
the letterhead of ``printing/letterhead.py`` with the casa when there is one, the scope,
period, filters and date; each section with its introduction, its map (a choropleth of
``printing/report_map.py``) and its tables — header rows repeated across pages, figures
right-aligned, totals bold — each followed by its chart when it has a chart hint
(``printing/report_charts.py``); the notes at the end; «Página X de Y» and the report's
name at the foot of every page. A partner version is marked on the first page and on every
page's foot; a document with names is marked as personal data.

The printing layer does not import the services: the document is anything shaped like
``services.report_model.ReportDocument`` (:class:`DocumentLike`). The file is written under
a temporary name beside the destination and moved into place when complete.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.i18n import _, babel_locale, format_date, format_datetime, format_number
from oma_desktop.printing.letterhead import (
    FONT,
    FONT_BOLD,
    bullets,
    escape,
    letterhead,
    logo_reader,
    register_fonts,
    simple_doc,
    styles,
)
from oma_desktop.printing.report_charts import ColumnLike, TableLike, shorten, table_chart
from oma_desktop.printing.report_map import district_map_drawing

INK = "#1f3a5f"
ALERT = "#b00020"
SCALE = 1.2  # the letterhead's A5 sizes enlarged for A4, as the person file does
LOGO_BOX = 12 * 72 / 25.4  # above the letterhead's rule however few its lines


@dataclass(frozen=True)
class CasaHeader:
    """The casa printed in the letterhead: its name, a contact line and its logo (PNG)."""

    name: str
    contact: str = ""
    logo_png: bytes | None = None


class SectionLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def tables(self) -> Sequence[TableLike]: ...
    @property
    def intro(self) -> str: ...
    @property
    def district_map(self) -> Mapping[str, int] | None: ...
    @property
    def map_title(self) -> str: ...


class DocumentLike(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def period_from(self) -> dt.date: ...
    @property
    def period_to(self) -> dt.date: ...
    @property
    def scope(self) -> str: ...
    @property
    def filters(self) -> Sequence[str]: ...
    @property
    def sections(self) -> Sequence[SectionLike]: ...
    @property
    def notes(self) -> Sequence[str]: ...
    @property
    def generated_at(self) -> dt.datetime: ...
    @property
    def personal(self) -> bool: ...
    @property
    def for_partners(self) -> bool: ...


def cell_text(value: Any, kind: str) -> str:
    """A table value as printed: Peruvian number formats, one decimal for percentages and
    days, text (and «<5») as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        if kind in ("percent", "days"):
            from babel.numbers import format_decimal

            text = str(format_decimal(float(value), format="#,##0.0", locale=babel_locale()))
            return f"{text} %" if kind == "percent" else text
        return format_number(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


def render_report_pdf(doc: DocumentLike, path: Path, *, casa: CasaHeader | None = None,
                      catalogs: Catalogs | None = None,
                      zones: Mapping[str, str] | None = None) -> Path:
    """Write ``doc`` as a PDF at ``path``; ``casa`` heads it (None: the municipality and the
    office only, as for a consolidated report); ``zones`` ({ubigeo: zone}) are those drawn
    on the maps (default: the bundled zones file). Whole or nothing: an error leaves no
    file."""
    return write_beside(Path(path), lambda temp: _build(doc, temp, casa, catalogs, zones))


def write_beside(path: Path, write: Callable[[Path], object]) -> Path:
    """Run ``write`` on a new temporary file beside ``path`` (:func:`temp_beside`) and move
    it into place: whole or nothing, an error leaves the old file as it was and no
    temporary behind. The PDF here and the Excel and CSV exports write through it."""
    temp = temp_beside(path)
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


STALE_TEMP_SECONDS = 3600


def temp_beside(path: Path) -> Path:
    """A new empty file beside ``path`` with a hidden, unique name, created like any file of
    the user (``tempfile.mkstemp`` would leave a finished report readable by its owner
    only); raises OSError when the folder cannot be written. Temporary files of ``path``
    left by a program killed while writing (more than an hour old) are removed first."""
    _sweep_stale(path)
    for _attempt in range(100):
        temp = path.with_name(f".{path.stem}-{secrets.token_hex(4)}{path.suffix}")
        try:
            with temp.open("xb"):
                return temp
        except FileExistsError:
            continue
    raise FileExistsError(path)


def _sweep_stale(path: Path) -> None:
    import re
    import time

    pattern = re.compile(rf"\.{re.escape(path.stem)}-[0-9a-f]{{8}}{re.escape(path.suffix)}")
    limit = time.time() - STALE_TEMP_SECONDS
    try:
        for old in path.parent.glob(f".{path.stem}-*{path.suffix}"):
            if pattern.fullmatch(old.name) and old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
    except OSError:  # an unreadable folder: the write that follows reports it
        pass


def _numbered_canvas(doc: DocumentLike, logo_png: bytes | None = None) -> type:
    """A canvas that knows the page count when it finishes: «Página X de Y» at each foot,
    the report's name at each head after the first, the casa's logo at the first page's top
    right (as the slip places it)."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    logo = logo_reader(logo_png)

    foot = doc.title
    if doc.for_partners:
        foot += " — " + _("For partners: cells under 5 suppressed")
    elif doc.personal:
        foot += " — " + _("Personal data: internal use only")
    running = " · ".join(p for p in (doc.title, doc.scope, _("{start} to {end}").format(
        start=format_date(doc.period_from), end=format_date(doc.period_to))) if p)

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            margin = 12 * 72 / 25.4
            self.saveState()
            self.setFont(FONT, 7)
            self.setFillColor(colors.HexColor("#555555"))
            number = self._pageNumber
            self.drawRightString(width - margin, margin / 2, _("Page {number} of {total}").format(
                number=number, total=total))
            self.setFillColor(colors.HexColor(ALERT if doc.for_partners or doc.personal
                                              else "#555555"))
            self.drawString(margin, margin / 2, shorten(foot, 7, width - 2 * margin - 90))
            if number == 1 and logo is not None:
                w, h = logo.getSize()
                ratio = min(LOGO_BOX / w, LOGO_BOX / h)
                self.drawImage(logo, width - margin - w * ratio, height - margin - h * ratio,
                               w * ratio, h * ratio, mask="auto")
            if number > 1:
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(margin, height - margin / 2 - 2,
                                shorten(running, 7, width - 2 * margin))
                self.setStrokeColor(colors.HexColor("#c9ced6"))
                self.setLineWidth(0.4)
                self.line(margin, height - margin / 2 - 5, width - margin, height - margin / 2 - 5)
            self.restoreState()

    return NumberedCanvas


def _build(doc: DocumentLike, path: Path, casa: CasaHeader | None,
           catalogs: Catalogs | None, zones: Mapping[str, str] | None) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

    register_fonts()
    pdf = simple_doc(path, "A4", doc.title)
    width = pdf.width
    st = styles(SCALE)
    # the logo is drawn by the canvas, at the top right of the first page
    story: list[Any] = letterhead(doc.title, casa.name if casa else "",
                                  casa.contact if casa else "", None, width, SCALE)
    facts = [(_("Scope"), doc.scope),
             (_("Period"), _("{start} to {end}").format(start=format_date(doc.period_from),
                                                        end=format_date(doc.period_to))),
             (_("Filters"), "; ".join(doc.filters) if doc.filters else _("None")),
             (_("Generated on"), format_datetime(doc.generated_at))]
    label_w = 28 * 72 / 25.4
    meta = Table([[Paragraph(escape(label), st["bold"]), Paragraph(escape(value), st["body"])]
                  for label, value in facts], colWidths=[label_w, width - label_w])
    meta.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story.append(meta)
    banner = ""
    if doc.for_partners:
        banner = _("FOR PARTNERS — cells of fewer than 5 people are shown as «<5»; this version "
                   "contains no names or document numbers.")
    elif doc.personal:
        banner = _("CONTAINS PERSONAL DATA — for internal use of the OMA only (Law No. 29733). "
                   "Do not share it with partners.")
    if banner:
        box = Table([[Paragraph(escape(banner), st["bold"].clone(
            "banner", textColor=colors.HexColor(ALERT)))]], colWidths=[width])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.HexColor(ALERT)),
                                 ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdecee")),
                                 ("TOPPADDING", (0, 0), (-1, -1), 4),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
        story += [Spacer(1, 6), box]
    story.append(Spacer(1, 6))

    heading = st["title"].clone("section-heading", fontSize=12.5 * SCALE,
                                leading=15 * SCALE, spaceBefore=10, spaceAfter=4)
    table_title = st["bold"].clone("table-title", fontSize=9.5 * SCALE,
                                   leading=12 * SCALE, spaceBefore=8, spaceAfter=3,
                                   textColor=colors.HexColor(INK))
    small = st["small"].clone("table-note", fontSize=7.2 * SCALE, leading=9 * SCALE,
                              spaceBefore=2)
    if not doc.sections:
        story.append(Paragraph(escape(_("No data for this period.")), st["body"]))
    for s, section in enumerate(doc.sections, start=1):
        head: list[Any] = [Paragraph(escape(f"{s}. {section.title}"), heading)]
        if section.intro:
            head.append(Paragraph(escape(section.intro), st["body"].clone(
                "intro", spaceAfter=4)))
        if section.district_map is not None:
            if section.map_title:
                head.append(Paragraph(escape(section.map_title), table_title))
            head.append(district_map_drawing(section.district_map, width,
                                             for_partners=doc.for_partners, catalogs=catalogs,
                                             zones=zones))
            story.append(KeepTogether(head))
            head = []
        for t, table in enumerate(section.tables, start=1):
            block: list[Any] = [*head, Paragraph(escape(f"{s}.{t} {table.title}"), table_title),
                                *_table(table, width, st)]
            head = []
            if table.note:
                block.append(Paragraph(escape(table.note), small))
            chart = table_chart(table, width)
            figure: list[Any] = []
            if chart is not None:
                drawing, note = chart
                figure = [Spacer(1, 6), drawing]
                if note:
                    figure.append(Paragraph(escape(note), small))
            if len(table.rows) > 30:  # splits across pages: at least its first rows here
                story += [CondPageBreak(160), *block, KeepTogether(figure)]
            elif len(table.rows) <= 12 and figure:  # a short table stays with its chart
                story.append(KeepTogether([*block, *figure]))
            else:
                story += [KeepTogether(block), KeepTogether(figure)]
        story.extend(head)  # a section without tables keeps its heading
    if doc.notes:
        story.append(CondPageBreak(80))
        story.append(Paragraph(escape(_("Notes")), heading))
        story.append(bullets(list(doc.notes), st))
    pdf.build(story, canvasmaker=_numbered_canvas(doc, casa.logo_png if casa else None))


def _column_widths(columns: Sequence[ColumnLike], cells: list[list[str]], width: float,
                   size: float, *, roomy: bool = True) -> list[float] | None:
    """Widths giving each figure column room for its widest value and its header's longest
    word, and the text columns the rest in proportion to their content; None when the
    figures alone do not fit at ``size``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pad = 8.0
    need: list[float] = []
    need_words: list[float] = []
    for i, column in enumerate(columns):
        words = max((stringWidth(w, FONT_BOLD, size) for w in column.label.split()), default=0)
        values = max((stringWidth(r[i], FONT_BOLD, size) for r in cells), default=0)
        header = stringWidth(column.label, FONT_BOLD, size)
        # a figure's header wraps on three lines at most when the page allows
        need.append(max(words, values, min(header / 3, 110.0)) + pad)
        need_words.append(words + pad)
    figures = [i for i, c in enumerate(columns) if c.kind != "text"]
    texts = [i for i, c in enumerate(columns) if c.kind == "text"]
    if not texts:
        fixed = sum(max(need[i], 34.0) for i in figures)
        if fixed > width:
            return None
        return [max(n, 34.0) + (width - fixed) / len(columns) for n in need]
    # a text column is at least as wide as its longest word (within reason)
    text_min = [min(max(max((stringWidth(w, FONT, size) for r in cells for w in r[i].split()),
                            default=0) + pad, need_words[i], 40.0), 90.0) for i in texts]
    content = [max(max((stringWidth(r[i], FONT, size) for r in cells), default=0) + pad, m)
               for i, m in zip(texts, text_min, strict=True)]
    # figures in comfortable columns when the text leaves room, else as narrow as they go;
    # the text columns share the rest in proportion to what they hold; when ``roomy`` they
    # first get what they hold, up to a quarter of the page
    wanted = max(sum(text_min), min(sum(content), width * 0.25))
    for least in (58.0, 34.0, 0.0):
        widths = [max(need[i], least) if i in figures else 0.0 for i in range(len(columns))]
        rest = width - sum(widths)
        if rest >= (wanted if least or roomy else sum(text_min)):
            spare = rest - sum(text_min)
            extra = [c - m for c, m in zip(content, text_min, strict=True)]
            for i, m, e in zip(texts, text_min, extra, strict=True):
                widths[i] = m + (spare * e / sum(extra) if sum(extra) else spare / len(texts))
            return widths
    return None


def _fit(columns: Sequence[ColumnLike], cells: list[list[str]],
         width: float) -> tuple[float, list[float]] | None:
    """The largest font size at which the text columns keep their room, else the largest at
    which the figures fit at all, with the column widths; None when nothing fits."""
    for size, roomy in [*((s, True) for s in (8.5, 8.0, 7.5, 7.0)),
                        *((s, False) for s in (8.5, 8.0, 7.5, 7.0, 6.5, 6.0))]:
        widths = _column_widths(columns, cells, width, size, roomy=roomy)
        if widths is not None:
            return size, widths
    return None


def _table(table: TableLike, width: float, st: dict[str, Any]) -> list[Any]:
    """The table as flowables: a grid whose header row repeats on every page. A table with
    more columns than a page can hold (the 5W) first leaves out the columns empty in every
    row and states once those with the same value in every row; if it still does not fit,
    each row is printed as one line of «column: value» (empty fields and zeros left out)."""
    from reportlab.platypus import Paragraph

    columns = list(table.columns)
    if not table.rows:
        return [Paragraph(escape(_("No data for this period.")), st["body"])]
    total = list(table.total) if table.total is not None else None
    if total and total[0] in ("", None) and columns[0].kind == "text":
        total[0] = _("Total")
    body = [[cell_text(v, c.kind) for v, c in zip(row, columns, strict=True)]
            for row in table.rows]
    footer = [cell_text(v, c.kind) for v, c in zip(total, columns, strict=True)] if total else None
    fit = _fit(columns, [*body, *([footer] if footer else [])], width)
    if fit is not None:
        return [_grid(columns, body, footer, fit, st)]
    keep, same = [], []
    for i, column in enumerate(columns):
        values = {r[i] for r in body}
        if values == {""}:
            continue
        if len(values) == 1 and len(body) > 1 and (footer is None or column.kind == "text"):
            same.append((column.label, body[0][i]))
            continue
        keep.append(i)
    out: list[Any] = []
    small = st["small"].clone("same", fontSize=7 * SCALE, leading=8.8 * SCALE, spaceAfter=3)
    if same:
        out.append(Paragraph(escape(_("In every row:")) + " " + "; ".join(
            f"<b>{escape(label)}</b>: {escape(value)}" for label, value in same), small))
    columns = [columns[i] for i in keep]
    body = [[r[i] for i in keep] for r in body]
    footer = [footer[i] for i in keep] if footer else None
    fit = _fit(columns, [*body, *([footer] if footer else [])], width)
    if fit is not None:
        return [*out, _grid(columns, body, footer, fit, st)]
    out.append(Paragraph(escape(_("Too many columns for the page: each row is one line, "
                                  "without its empty fields and zeros. The Excel and CSV "
                                  "versions have the whole table.")), small))
    return [*out, _records(columns, body, footer, width, st)]


def _records(columns: Sequence[ColumnLike], body: list[list[str]], footer: list[str] | None,
             width: float, st: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, Paragraph, TableStyle

    size = 7.0
    line = st["body"].clone("record", fontSize=size, leading=size * 1.25)

    def record(values: list[str]) -> Any:
        parts = [f"<b>{escape(c.label)}</b>: {escape(v)}" for c, v in zip(columns, values,
                                                                           strict=True)
                 if v and not (c.kind != "text" and v in ("0", "0.0", "0.0 %"))]
        return [Paragraph(" · ".join(parts), line)]

    data = [record(r) for r in body]
    if footer:
        data.append(record(footer))
    grid = LongTable(data, colWidths=[width])
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("ROWBACKGROUNDS", (0, 0), (-1, -1), [colors.white, colors.HexColor("#f6f7f9")]),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9ced6")),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return grid


def _grid(columns: Sequence[ColumnLike], body: list[list[str]], footer: list[str] | None,
          fit: tuple[float, list[float]], st: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, Paragraph, TableStyle

    size, widths = fit
    leading = size * 1.22
    text = st["body"].clone("cell", fontSize=size, leading=leading)
    bold = text.clone("cell-bold", fontName=FONT_BOLD)
    head_left = st["bold"].clone("head", fontSize=size, leading=leading)
    head_right = head_left.clone("head-right", alignment=2)
    figure = text.clone("figure", alignment=2)
    figure_bold = bold.clone("figure-bold", alignment=2)

    def row_cells(values: list[str], strong: bool) -> list[Any]:
        out: list[Any] = []
        for value, column in zip(values, columns, strict=True):
            if column.kind == "text":
                out.append(Paragraph(escape(value), bold if strong else text))
            else:
                out.append(Paragraph(escape(value), figure_bold if strong else figure))
        return out

    data = [[Paragraph(escape(c.label), head_left if c.kind == "text" else head_right)
             for c in columns]]
    data += [row_cells(r, False) for r in body]
    if footer:
        data.append(row_cells(footer, True))
    grid = LongTable(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e8ef")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f7f9")]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#5b6b80")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c9ced6")),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if footer:
        style += [("LINEABOVE", (0, -1), (-1, -1), 0.9, colors.HexColor("#5b6b80")),
                  ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eef1f5"))]
    grid.setStyle(TableStyle(style))
    return grid


__all__ = ["CasaHeader", "DocumentLike", "SectionLike", "cell_text", "render_report_pdf"]

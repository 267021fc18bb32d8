"""Printable sheets (the day's sheet, the call list) as PDF, with reportlab.

The printing layer uses the core only: callers pass plain text (:class:`PrintSection`),
already translated and formatted. The font is embedded (Bitstream Vera, shipped with
reportlab and the parent of DejaVu Sans), so "ñ", "á" and "¿" print the same on every
PC whatever fonts it has. Tables repeat their headings on every page and wrap long cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FONT = "OmaSans"
FONT_BOLD = "OmaSans-Bold"
_FONT_FILES = {FONT: "Vera.ttf", FONT_BOLD: "VeraBd.ttf"}


@dataclass(frozen=True)
class PrintSection:
    """A heading and a table; ``widths`` are relative column widths."""

    heading: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] = field(default_factory=tuple)
    empty_text: str = ""  # printed instead of an empty table


@dataclass(frozen=True)
class PrintDocument:
    title: str
    subtitle: str
    sections: Sequence[PrintSection]
    footer: str = ""  # left of the page number, e.g. "Impreso el 02/12/2026 10:15"
    page_label: str = "{n}"  # e.g. "Página {n}"
    landscape: bool = True


def _register_fonts() -> None:
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FONT_FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_pdf(path: Path, document: PrintDocument) -> Path:
    """Write ``document`` to ``path`` (A4, landscape unless told otherwise)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    _register_fonts()
    size = landscape(A4) if document.landscape else A4
    margin = 14 * mm
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD)
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=15, leading=19)
    subtitle = ParagraphStyle("subtitle", fontName=FONT, fontSize=10, leading=13,
                              textColor=colors.HexColor("#333333"))
    section = ParagraphStyle("section", fontName=FONT_BOLD, fontSize=11, leading=14,
                             spaceBefore=8, spaceAfter=4)

    width = size[0] - 2 * margin
    story: list[Any] = [Paragraph(_escape(document.title), title),
                        Paragraph(_escape(document.subtitle), subtitle), Spacer(1, 4 * mm)]
    for part in document.sections:
        if part.heading:
            story.append(Paragraph(_escape(part.heading), section))
        if not part.rows:
            story.append(Paragraph(_escape(part.empty_text), body))
            continue
        weights = list(part.widths) or [1.0] * len(part.headers)
        total = sum(weights)
        data = [[Paragraph(_escape(h), head) for h in part.headers]]
        data += [[Paragraph(_escape(str(c)).replace("\n", "<br/>"), body) for c in row]
                 for row in part.rows]
        table = LongTable(data, colWidths=[width * w / total for w in weights], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e8ef")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f7f9")]),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#5b6b80")),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c9ced6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]))
        story.append(table)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(margin, 8 * mm, document.footer)
        canvas.drawRightString(size[0] - margin, 8 * mm,
                               document.page_label.format(n=doc.page))
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        str(path), pagesize=size, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin + 4 * mm, title=document.title, author="OMA Desktop",
    )
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return path

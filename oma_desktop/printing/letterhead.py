"""Pieces shared by the documents handed to a person (slip, constancia, route handout).

Each draws the same municipal letterhead so a person recognises where a paper comes from,
prints the code as a QR the institution or a barcode scanner can read, and fits text into
fixed boxes: long names and addresses wrap, and only if they still do not fit is the text
shrunk (never cut, never drawn past the box). Fonts are the embedded ones of
:mod:`oma_desktop.printing.sheets`.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.sheets import FONT, FONT_BOLD, _escape, _register_fonts

__all__ = ["FONT", "FONT_BOLD", "Place", "bullets", "draw_qr", "escape", "fit_in_frame",
           "letterhead", "logo_reader", "municipal_lines", "page_size", "place_flowables",
           "register_fonts", "simple_doc", "styles"]

register_fonts = _register_fonts


def escape(text: str) -> str:
    """Text for a reportlab Paragraph: markup characters escaped, line breaks kept."""
    return _escape(text).replace("\n", "<br/>")


def municipal_lines() -> tuple[str, str]:
    """The two lines every document starts with (the municipality, the office)."""
    return (_("Metropolitan Municipality of Lima"),
            _("Municipal Office for the Attention of Migrant Neighbours (OMA)"))


def page_size(paper: str) -> tuple[float, float]:
    """A5 (the default) or A4, portrait."""
    from reportlab.lib.pagesizes import A4, A5

    width, height = A4 if paper.upper() == "A4" else A5
    return float(width), float(height)


def styles(scale: float = 1.0) -> dict[str, Any]:
    """Paragraph styles at ``scale`` (1.0 = the A5 sizes)."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    def style(name: str, size: float, *, bold: bool = False, color: str = "#000000",
              space: float = 0.0, leading: float = 1.22) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=FONT_BOLD if bold else FONT, fontSize=size * scale,
                              leading=size * scale * leading, spaceBefore=space * scale,
                              textColor=colors.HexColor(color))

    return {
        "body": style("body", 8.5),
        "bold": style("bold", 8.5, bold=True),
        "big": style("big", 10.5, bold=True),
        "section": style("section", 7.5, bold=True, color="#1f3a5f", space=4.5),
        "small": style("small", 6.6, color="#333333"),
        "title": style("title", 12, bold=True, color="#1f3a5f"),
        "muni": style("muni", 8.2, bold=True),
        "office": style("office", 7.4),
    }


def logo_reader(png: bytes | None) -> Any | None:
    """An ImageReader for the casa's logo, or None when there is none or it cannot be read
    (a broken logo leaves the header without it rather than stopping the printing)."""
    if not png:
        return None
    from reportlab.lib.utils import ImageReader

    try:
        reader = ImageReader(io.BytesIO(png))
        reader.getSize()
    except Exception:  # any undecodable image: print without the logo
        return None
    return reader


@functools.lru_cache(maxsize=64)
def _qr_modules(text: str) -> tuple[tuple[bool, ...], ...]:
    """The QR matrix of ``text`` (error correction M), computed once per code: the slip and
    its stub print the same code, and computing the matrix is most of a QR's cost."""
    from reportlab.graphics.barcode.qr import QrCodeWidget

    qr = QrCodeWidget(text, barLevel="M").qr
    qr.make()
    return tuple(tuple(bool(cell) for cell in row) for row in qr.modules)


def draw_qr(canvas: Any, text: str, x: float, y: float, size: float) -> None:
    """Draw ``text`` as a QR code, ``size`` points wide (quiet zone included), lower-left
    corner at (x, y).

    The matrix comes from reportlab's QR widget; the dark runs are filled as one path on the
    canvas (the widget's own renderer would also declare an unembedded Helvetica).
    """
    modules = _qr_modules(text)
    count = len(modules)
    border = 4
    box = size / (count + 2 * border)
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        c = 0
        while c < count:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < count and row[c]:
                c += 1
            path.rect(x + (start + border) * box, y + size - (r + border + 1) * box,
                      (c - start) * box, box)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _height(story: Sequence[Any], width: float, height: float) -> float:
    total = 0.0
    for index, flowable in enumerate(story):
        total += flowable.wrap(width, height)[1]
        if index:
            total += flowable.getSpaceBefore()
        total += flowable.getSpaceAfter()
    return total


def fit_in_frame(canvas: Any, build: Callable[[float], list[Any]], x: float, y: float,
                 width: float, height: float,
                 scales: Sequence[float] = (1.0, 0.93, 0.86, 0.8, 0.74)) -> float:
    """Draw the story ``build(scale)`` inside the box; returns the scale used.

    The largest scale whose wrapped story fits is used; if none fits, the smallest is
    shrunk further by a KeepInFrame, so the text always stays inside the box.
    """
    from reportlab.platypus import Frame, KeepInFrame

    story: list[Any] = []
    used = scales[-1]
    for scale in scales:
        story = build(scale)
        if _height(story, width, height) <= height:
            used = scale
            break
    else:
        story = [KeepInFrame(width, height, story, mode="shrink")]
    frame = Frame(x, y, width, height, leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0, showBoundary=0)
    frame.addFromList(story, canvas)
    if story:  # cannot happen after the shrink; a loud failure beats a cut slip
        raise RuntimeError("text did not fit in its box")
    return used


def letterhead(title: str, casa_name: str, casa_contact: str, logo_png: bytes | None,
               width: float, scale: float = 1.0) -> list[Any]:
    """The letterhead as flowables (for documents laid out by a DocTemplate): the logo,
    the municipality, the office, the casa and its contact, the title, and a rule."""
    from reportlab.lib import colors
    from reportlab.platypus import HRFlowable, Image, Paragraph, Table, TableStyle

    st = styles(scale)
    muni, office = municipal_lines()
    text: list[Any] = [Paragraph(escape(muni), st["muni"]), Paragraph(escape(office), st["office"])]
    if casa_name:
        text.append(Paragraph(escape(casa_name), st["bold"]))
    if casa_contact:
        text.append(Paragraph(escape(casa_contact), st["small"]))
    logo = logo_reader(logo_png)
    if logo is not None:
        w, h = logo.getSize()
        box = 48 * scale
        ratio = min(box / w, box / h)
        image = Image(io.BytesIO(logo_png or b""), w * ratio, h * ratio)  # platypus wants a file
        head: Any = Table([[image, text]], colWidths=[box + 8, width - box - 8])
        head.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story = [head]
    else:
        story = text
    return [*story,
            HRFlowable(width="100%", thickness=1.2, color=colors.HexColor("#1f3a5f"),
                       spaceBefore=4 * scale, spaceAfter=6 * scale),
            Paragraph(escape(title), st["title"].clone("doc-title", fontSize=15 * scale,
                                                       leading=19 * scale, spaceAfter=4 * scale))]


@dataclass
class Place:
    """Where to go: an institution or service, as display text."""

    name: str
    address: str = ""
    hours: str = ""
    phone: str = ""
    note: str = ""  # e.g. what to bring there


# what the directory holds where it does not know a value (the reference data's markers):
# a printed page leaves the line out rather than show a dash or an English note to the person
_UNKNOWN = frozenset({"", "-", "–", "—", "not found", "no encontrado"})


def known(value: str) -> str:
    """``value``, or '' when it only says that the value is unknown."""
    return "" if value.strip().strip(".").lower() in _UNKNOWN else value


def place_flowables(places: Sequence[Place], st: dict[str, Any]) -> list[Any]:
    """Each place as a bold name and its address, hours and phone, kept together."""
    from reportlab.platypus import KeepTogether, Paragraph

    out: list[Any] = []
    for place in places:
        lines = [Paragraph(escape(place.name), st["bold"].clone("place", spaceBefore=4))]
        for label, value in ((_("Address"), place.address), (_("Opening hours"), place.hours),
                             (_("Phone"), place.phone), (_("Bring:"), place.note)):
            value = known(value)
            if value:
                lines.append(Paragraph(f"<b>{escape(label)}</b> {escape(value)}"
                                       if label.endswith(":") else
                                       f"<b>{escape(label)}:</b> {escape(value)}",
                                       st["body"].clone("place-line", leftIndent=8)))
        out.append(KeepTogether(lines))
    return out


def bullets(items: Sequence[str], st: dict[str, Any], *, numbered: bool = False) -> Any:
    """A bulleted (or numbered) list of wrapped paragraphs."""
    from reportlab.platypus import ListFlowable, ListItem, Paragraph

    size = st["body"].fontSize
    indent = 1.9 * size  # room for "10." at any scale
    item_style = st["body"].clone("item", spaceBefore=0.25 * size)
    return ListFlowable(
        [ListItem(Paragraph(escape(item), item_style), leftIndent=indent) for item in items],
        bulletType="1" if numbered else "bullet", start=None if numbered else "•",
        bulletFontName=FONT_BOLD if numbered else FONT, bulletFontSize=size,
        leftIndent=indent, bulletFormat="%s." if numbered else None)


def simple_doc(path: Path, paper: str, title: str) -> Any:
    """A one-column DocTemplate with the margins of the printed documents; its frame has
    no inner padding, so ``doc.width`` is the width a flowable really gets."""
    from reportlab.platypus import Frame, PageTemplate, SimpleDocTemplate

    margin = 12 * 72 / 25.4
    doc = SimpleDocTemplate(str(path), pagesize=page_size(paper), leftMargin=margin,
                            rightMargin=margin, topMargin=margin, bottomMargin=margin,
                            title=title, author="OMA Desktop", initialFontName=FONT)
    doc.addPageTemplates([PageTemplate("page", [Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, leftPadding=0,
        rightPadding=0, topPadding=0, bottomPadding=0)])])
    return doc

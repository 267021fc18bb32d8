"""The referral slip ("boleta de derivación") the person carries to the institution.

One page per referral, A5 by default (A4 is the same page enlarged: the two share their
proportions, so the layout is drawn once in A5 units and scaled). The upper part is for the
institution: who sends the person, the code as text and QR, the person (only the lines the
caller passes, already filtered by consent), where to go and what to bring, the reason and
priority, who issued it, the consent line and the data-protection notice. Below a dashed cut
line is the counter-referral stub the institution fills and the person brings back: it
carries the code and its QR (no personal data) so the OMA records the outcome by scanning it.

Callers pass plain, already formatted text (:class:`SlipData`); nothing here reads the
database. Text sits in fixed boxes and wraps; it is shrunk only when wrapping is not enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import (
    FONT,
    FONT_BOLD,
    draw_qr,
    escape,
    fit_in_frame,
    known,
    logo_reader,
    municipal_lines,
    page_size,
    register_fonts,
    styles,
)

MM = 72 / 25.4
MARGIN = 8 * MM
HEADER_H = 36 * MM
STUB_H = 50 * MM
CUT_GAP = 4 * MM  # between the body and the cut line, and the cut line and the stub
INK = "#1f3a5f"


@dataclass
class SlipData:
    """Everything printed on one slip, as display text."""

    code: str
    copy: bool = False
    paper: str = "A5"  # "A5" | "A4"
    casa_name: str = ""
    casa_address: str = ""
    casa_phone: str = ""
    logo_png: bytes | None = None
    issued_on: str = ""
    staff_name: str = ""
    priority_label: str = ""
    due_on: str = ""
    person_lines: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    service_name: str = ""
    service_address: str = ""
    service_hours: str = ""
    service_phone: str = ""
    requirements: str = ""
    reason: str = ""
    consent_line: str = ""


def data_protection_notice() -> str:
    """The short notice printed on every slip, under Ley 29733 and its regulation (D.S.
    016-2024-JUS, which replaced D.S. 003-2013-JUS): who holds the data bank, the purpose,
    what the receiving institution may do, and the person's rights (access, rectification,
    deletion, objection), deletion being limited where a law requires keeping the data."""
    return _("Personal data protection (Law No. 29733 and its Regulation, Supreme Decree No. "
             "016-2024-JUS): the Metropolitan Municipality of Lima, which holds the data bank, "
             "uses the data on this slip only to arrange this referral and follow it up. The "
             "receiving institution may use them only to attend the person. The person may ask "
             "the OMA to see their data, correct or delete them, or object to their use, unless "
             "a law requires keeping them.")


def write_slips(slips: Sequence[SlipData], path: Path) -> Path:
    """Write every slip, one per page, into the PDF at ``path``."""
    from reportlab.pdfgen.canvas import Canvas

    if not slips:
        raise ValueError(_("There is no slip to print."))
    register_fonts()
    # the embedded font from the start: no unembedded Helvetica in the file at all
    canvas = Canvas(str(path), pagesize=page_size(slips[0].paper), initialFontName=FONT)
    canvas.setTitle(_("Referral slip") + " " + ", ".join(s.code for s in slips[:5]))
    canvas.setAuthor("OMA Desktop")
    for slip in slips:
        _draw_slip(canvas, slip)
        canvas.showPage()
    canvas.save()
    return path


# --- one page -------------------------------------------------------------------------------


def _draw_slip(canvas: Any, slip: SlipData) -> None:
    from reportlab.lib.pagesizes import A5

    size = page_size(slip.paper)
    canvas.setPageSize(size)
    canvas.scale(size[0] / A5[0], size[1] / A5[1])
    width, height = A5
    if slip.copy:
        _draw_copy_mark(canvas, width, height)
    top = height - MARGIN
    _draw_header(canvas, slip, top, width)
    cut_y = MARGIN + STUB_H + CUT_GAP
    body_top = top - HEADER_H - 2 * MM
    fit_in_frame(canvas, lambda scale: _body_story(slip, scale, width - 2 * MARGIN),
                 MARGIN, cut_y + CUT_GAP, width - 2 * MARGIN, body_top - cut_y - CUT_GAP)
    _draw_cut_line(canvas, cut_y, width)
    _draw_stub(canvas, slip, MARGIN + STUB_H, width)


def _draw_copy_mark(canvas: Any, width: float, height: float) -> None:
    """A pale diagonal "COPIA" behind the content: a reprint is never taken for the original."""
    canvas.saveState()
    canvas.setFillColorRGB(0.88, 0.88, 0.88)
    canvas.translate(width / 2, height / 2 + 20 * MM)
    canvas.rotate(38)
    canvas.setFont(FONT_BOLD, 84)
    canvas.drawCentredString(0, -30, _("COPY"))
    canvas.restoreState()


def _draw_header(canvas: Any, slip: SlipData, top: float, width: float) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph

    qr_size = 30 * MM
    x = MARGIN
    logo = logo_reader(slip.logo_png)
    if logo is not None:
        w, h = logo.getSize()
        box = 17 * MM
        ratio = min(box / w, box / h)
        canvas.drawImage(logo, x, top - h * ratio, w * ratio, h * ratio, mask="auto")
        x += box + 3 * MM
    text_w = width - MARGIN - qr_size - 3 * MM - x
    muni, office = municipal_lines()

    def header(scale: float) -> list[Any]:
        st = styles(scale)
        casa = escape(slip.casa_name)
        contact = " · ".join(escape(p) for p in (slip.casa_address, slip.casa_phone) if p)
        story = [Paragraph(escape(muni), st["muni"]), Paragraph(escape(office), st["office"])]
        if casa:
            story.append(Paragraph(casa, st["bold"]))
        if contact:
            story.append(Paragraph(contact, st["small"]))
        title = escape(_("REFERRAL SLIP"))
        if slip.copy:
            title += ' <font color="#b00020">— ' + escape(_("COPY")) + "</font>"
        story.append(Paragraph(title, st["title"].clone("t", spaceBefore=3 * scale)))
        story.append(Paragraph(
            f'{escape(_("Code"))}: <font size="{15 * scale:.1f}">{escape(slip.code)}</font>',
            st["big"].clone("code", leading=17 * scale)))
        return story

    fit_in_frame(canvas, header, x, top - HEADER_H, text_w, HEADER_H)
    draw_qr(canvas, slip.code, width - MARGIN - qr_size, top - qr_size, qr_size)
    _draw_code_under_qr(canvas, slip.code, width, top - qr_size - 3 * MM, qr_size, 8)
    canvas.setStrokeColor(colors.HexColor(INK))
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, top - HEADER_H - 1 * MM, width - MARGIN, top - HEADER_H - 1 * MM)


def _draw_code_under_qr(canvas: Any, code: str, width: float, y: float, qr_size: float,
                        size: float) -> float:
    """The code centred under its QR, moved left if it is wider than the QR (never past the
    right margin); returns where the code starts, so nothing is drawn into it."""
    canvas.setFont(FONT_BOLD, size)
    half = canvas.stringWidth(code, FONT_BOLD, size) / 2
    centre = min(width - MARGIN - qr_size / 2, width - MARGIN - half)
    canvas.drawCentredString(centre, y, code)
    return float(centre - half)


def _rows(rows: Sequence[tuple[str, str]], st: dict[str, Any], width: float, scale: float) -> Any:
    from reportlab.platypus import Paragraph, Table, TableStyle

    label_w = 30 * MM
    table = Table([[Paragraph(escape(label), st["bold"]), Paragraph(escape(value), st["body"])]
                   for label, value in rows], colWidths=[label_w, width - label_w])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # empty cells too: no stray Helvetica
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 0.6 * scale),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0.6 * scale),
    ]))
    return table


def _body_story(slip: SlipData, scale: float, width: float) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    st = styles(scale)
    story: list[Any] = [Paragraph(escape(_("PERSON REFERRED")), st["section"].clone(
        "first", spaceBefore=0))]
    if slip.person_lines:
        story.append(_rows(slip.person_lines, st, width, scale))
    else:
        story.append(Paragraph(escape(_("(no personal data shared)")), st["small"]))
    story.append(Paragraph(escape(_("REFERRED TO")), st["section"]))
    story.append(Paragraph(escape(slip.service_name), st["big"]))
    place = [(label, known(value)) for label, value in (
        (_("Address"), slip.service_address), (_("Opening hours"), slip.service_hours),
        (_("Phone"), slip.service_phone), (_("Bring:"), slip.requirements)) if known(value)]
    if place:
        story.append(_rows(place, st, width, scale))
    story.append(Paragraph(escape(_("REASON AND PRIORITY")), st["section"]))
    if slip.reason:
        story.append(Paragraph(escape(slip.reason), st["body"]))
    urgency = [(_("Priority"), slip.priority_label)] if slip.priority_label else []
    if slip.due_on:
        urgency.append((_("Attend by"), slip.due_on))
    if urgency:
        story.append(_rows(urgency, st, width, scale))
    if slip.consent_line:
        story.append(Spacer(1, 2.5 * scale))
        story.append(Paragraph(escape(slip.consent_line), st["body"].clone(
            "consent", fontSize=7.4 * scale, leading=9 * scale)))
    issued = escape(_("Issued on {date} by {name}").format(date=slip.issued_on,
                                                           name=slip.staff_name))
    sign = Table(
        [[Paragraph(issued, st["body"]), ""],
         ["", Paragraph(escape(_("Signature and stamp of the OMA")), st["small"].clone(
             "sig", alignment=1))]],
        colWidths=[width * 0.52, width * 0.48], rowHeights=[None, None])
    sign.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # empty cells too: no stray Helvetica
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (1, 0), (1, 0), 9 * MM * scale),
        ("LINEABOVE", (1, 1), (1, 1), 0.7, colors.black),
    ]))
    story.append(Spacer(1, 2 * scale))
    story.append(sign)
    story.append(Paragraph(escape(data_protection_notice()), st["small"].clone(
        "notice", spaceBefore=3 * scale, fontSize=6.2 * scale, leading=7.4 * scale)))
    return story


def _draw_cut_line(canvas: Any, y: float, width: float) -> None:
    from reportlab.lib import colors

    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#555555"))
    canvas.setLineWidth(0.7)
    canvas.setDash(4, 3)
    canvas.line(MARGIN + 6 * MM, y, width - MARGIN, y)
    canvas.setDash()
    _draw_scissors(canvas, MARGIN, y)
    canvas.setFont(FONT, 5.8)
    canvas.drawRightString(width - MARGIN, y + 1.5 * MM, _("Cut here"))
    canvas.restoreState()


def _draw_scissors(canvas: Any, x: float, y: float) -> None:
    """Scissors drawn as lines (the embedded font has no scissors glyph): two finger loops
    on the left, two blades crossing towards the cut line."""
    canvas.setLineWidth(0.8)
    canvas.circle(x + 1.2 * MM, y + 1.6 * MM, 1.1 * MM)
    canvas.circle(x + 1.2 * MM, y - 1.6 * MM, 1.1 * MM)
    canvas.line(x + 2.1 * MM, y + 1.0 * MM, x + 5.5 * MM, y - 0.9 * MM)
    canvas.line(x + 2.1 * MM, y - 1.0 * MM, x + 5.5 * MM, y + 0.9 * MM)


def _draw_stub(canvas: Any, slip: SlipData, top: float, width: float) -> None:
    """The counter-referral stub: code, QR and the four things the institution writes."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph

    qr_size = 23 * MM
    left_w = width - 2 * MARGIN - qr_size - 4 * MM

    def head(scale: float) -> list[Any]:
        st = styles(scale)
        title = (f'{escape(_("COUNTER-REFERRAL"))} <font name="{FONT}" size="{7.2 * scale:.1f}">'
                 f'— {escape(_("to be filled in by the institution and returned to the OMA"))}'
                 "</font>")
        return [Paragraph(title, st["bold"].clone("stub", textColor=colors.HexColor(INK))),
                Paragraph(f'{escape(_("Code"))}: <b>{escape(slip.code)}</b> · '
                          f'{escape(_("Referred to"))}: {escape(slip.service_name)}',
                          st["body"].clone("stubline", fontSize=7.6 * scale,
                                           leading=9.2 * scale))]

    head_h = 13 * MM
    fit_in_frame(canvas, head, MARGIN, top - head_h, left_w, head_h)
    draw_qr(canvas, slip.code, width - MARGIN - qr_size, top - qr_size, qr_size)
    code_left = _draw_code_under_qr(canvas, slip.code, width, top - qr_size - 3 * MM, qr_size,
                                    7.5)
    # the Remarks line stops before the code: a code with its station tag is wider than the
    # QR and sits just below the line's height
    line_end = min(MARGIN + left_w, code_left - 2 * MM)

    canvas.saveState()
    canvas.setLineWidth(0.5)
    canvas.setFont(FONT, 8)
    y = top - head_h - 4 * MM
    x = MARGIN
    canvas.drawString(x, y, _("Was the person attended?"))
    bx = x + canvas.stringWidth(_("Was the person attended?"), FONT, 8) + 3 * MM
    for word in (_("Yes"), _("No")):
        canvas.rect(bx, y - 0.5, 3 * MM, 3 * MM)
        canvas.drawString(bx + 4 * MM, y, word)
        bx += 4 * MM + canvas.stringWidth(word, FONT, 8) + 5 * MM
    date_label = _("Date") + ":"
    canvas.drawString(bx + 2 * MM, y, date_label)
    lx = bx + 3 * MM + canvas.stringWidth(date_label, FONT, 8)
    canvas.line(lx, y - 1, min(lx + 26 * MM, MARGIN + left_w), y - 1)
    y -= 7 * MM
    canvas.drawString(x, y, _("Remarks") + ":")
    canvas.line(x + canvas.stringWidth(_("Remarks") + ":", FONT, 8) + 2 * MM, y - 1,
                line_end, y - 1)  # the QR and its code sit right of this line
    y -= 7 * MM
    canvas.line(x, y - 1, width - MARGIN, y - 1)
    y -= 9 * MM
    label = _("Name and signature / stamp") + ":"
    canvas.drawString(x, y, label)
    canvas.line(x + canvas.stringWidth(label, FONT, 8) + 2 * MM, y - 1, width - MARGIN, y - 1)
    canvas.restoreState()

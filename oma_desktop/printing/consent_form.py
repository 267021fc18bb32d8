"""The consent form: one A4 page the person reads, ticks and signs.

Ley 29733 asks for consent that is free, prior, express, informed and, for sensitive
data (health, and arguably gender-based violence), in writing (Ley art. 13.6; D.S.
016-2024-JUS art. 8); before collecting data the holder must say who it is, the purpose,
the recipients, whether answering is optional and what follows from refusing, how long the
data are kept, and how to exercise the rights (Ley art. 18; Regl. art. 6.1) — shared
reference ``data_protection_pe.md`` section 2. The form says all of it and has one «Sí /
No» line per purpose (``services.consent.PURPOSES``), then the signatures.

Callers pass display text (:class:`ConsentFormData`, built by
``services.consent_form``); the letterhead and fonts are those of the other printed
documents (``printing.letterhead``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import (
    FONT,
    FONT_BOLD,
    escape,
    letterhead,
    municipal_lines,
    register_fonts,
    simple_doc,
    styles,
)


@dataclass
class ConsentFormData:
    person_name: str  # "" prints a line to write it by hand
    document: str  # "Pasaporte 123456", or ""
    issued_on: str
    purposes: list[str] = field(default_factory=list)  # as the person reads them
    casa_name: str = ""
    casa_contact: str = ""
    logo_png: bytes | None = None
    staff_name: str = ""
    retention_years: int = 5
    deadlines: str = ""  # "access: 20 calendar days; ..."


def information_paragraphs(data: ConsentFormData) -> list[tuple[str, str]]:
    """The information Ley 29733 art. 18 asks to give before collecting data, as (heading,
    text) pairs."""
    muni, office = municipal_lines()
    where = data.casa_name or office
    contact = f" ({data.casa_contact})" if data.casa_contact else ""
    return [
        (_("Who is responsible"), _(
            "The {muni}, through its {office}, holds the data bank of persons attended by the "
            "OMA. You are attended at {where}{contact}.").format(
                muni=muni, office=office, where=where, contact=contact)),
        (_("What for"), _(
            "To attend you, record your consultations, refer you to other institutions and "
            "follow up your case; and, without your name, for statistics that help plan the "
            "municipal services for migrant neighbours.")),
        (_("Which data"), _(
            "Your identification, contact, household and migratory situation, and what you "
            "consult. Some may be sensitive (health, disability, violence): they are used "
            "only to attend you and only the coordination of the casa sees them.")),
        (_("Who receives them"), _(
            "The staff of the OMA (the casa and the municipality's central office). An "
            "institution you are referred to receives only the data on the referral slip, "
            "and only if you agree below. They are not given to anyone else, unless a law "
            "requires it.")),
        (_("Is it compulsory?"), _(
            "No. Giving your data is voluntary. If you do not agree to have your data "
            "registered, you are still attended, without recording your name.")),
        (_("For how long"), _(
            "While you are attended and for {years} years after your last attention; then "
            "your data are anonymised (only figures without your name are kept).").format(
                years=data.retention_years)),
        (_("Your rights"), _(
            "You may ask to see your data (access), correct them (rectification), delete "
            "them (cancellation) or stop a use (opposition), and withdraw this consent at any "
            "time, in person at the casa or in writing, free of charge.{deadlines} If you are "
            "not answered, you may complain to the National Authority for Personal Data "
            "Protection (Ministry of Justice and Human Rights).").format(
                deadlines=(" " + _("The OMA answers within: {deadlines}.").format(
                    deadlines=data.deadlines)) if data.deadlines else "")),
    ]


def _tick_box_class() -> type:
    from reportlab.platypus import Flowable

    class TickBox(Flowable):  # type: ignore[misc]
        """An empty square to tick by hand, followed by its word."""

        def __init__(self, text: str, style: Any) -> None:
            super().__init__()
            self.text, self.style = text, style
            self.size = style.fontSize * 1.1

        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            return avail_width, self.size + 2

        def draw(self) -> None:
            canvas = self.canv
            canvas.setLineWidth(0.9)
            canvas.rect(0, 1, self.size, self.size, stroke=1, fill=0)
            canvas.setFont(self.style.fontName, self.style.fontSize)
            canvas.drawString(self.size + 5, 1 + self.size * 0.18, self.text)

    return TickBox


def _TickBox(text: str, style: Any) -> Any:
    return _tick_box_class()(text, style)


def write_consent_form(data: ConsentFormData, path: Path) -> Path:
    """Write the form to ``path`` (one A4 page)."""
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    register_fonts()
    title = _("Consent to the processing of personal data")
    doc = simple_doc(path, "A4", title)
    scale = 1.15
    st = styles(scale)
    story: list[Any] = letterhead(title.upper(), data.casa_name, data.casa_contact,
                                  data.logo_png, doc.width, scale)
    blank = "_" * 40
    who = Table([[Paragraph(escape(_("Name")), st["small"]),
                  Paragraph(escape(data.person_name or blank), st["big"])],
                 [Paragraph(escape(_("Document")), st["small"]),
                  Paragraph(escape(data.document or blank), st["body"])]],
                colWidths=[doc.width * 0.18, doc.width * 0.82])
    who.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(who)
    story.append(Paragraph(escape(_("INFORMATION ON YOUR PERSONAL DATA (Law No. 29733 and its "
                                    "Regulation, Supreme Decree No. 016-2024-JUS)")),
                           st["section"].clone("info-title", spaceBefore=8)))
    for heading, text in information_paragraphs(data):
        mark = "" if heading.endswith(("?", ".", ":")) else "."
        story.append(Paragraph(f"<b>{escape(heading)}{mark}</b> {escape(text)}",
                               st["body"].clone("info", spaceBefore=2.5)))
    story.append(Paragraph(escape(_("I AUTHORISE THE OMA TO (tick one box per line)")),
                           st["section"].clone("tick-title", spaceBefore=10, spaceAfter=3)))
    rows = [[Paragraph(escape(text), st["body"]), _TickBox(_("Yes"), st["big"]),
             _TickBox(_("No"), st["big"])] for text in data.purposes]
    ticks = Table(rows, colWidths=[doc.width * 0.74, doc.width * 0.13, doc.width * 0.13])
    ticks.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.4, "#888888"),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    story.append(ticks)
    story.append(Paragraph(escape(_(
        "I have read (or have been read) this information, I understood it and I give my "
        "consent freely. I can withdraw it at any time.")), st["body"].clone("ack",
                                                                             spaceBefore=8)))
    story.append(Spacer(1, 40))
    sign = Table([
        ["", "", ""],
        [Paragraph(escape(_("Signature of the person")), st["small"]),
         Paragraph(escape(_("Fingerprint")), st["small"].clone("fp", alignment=1)),
         Paragraph(escape(_("Staff member: {name}").format(name=data.staff_name or blank[:24])),
                   st["small"])],
        [Paragraph(escape(_("Date: {date}").format(date=data.issued_on)), st["small"]), "",
         Paragraph(escape(_("Signature and stamp of the OMA")), st["small"])],
    ], colWidths=[doc.width * 0.42, doc.width * 0.16, doc.width * 0.42],
        rowHeights=[54, None, None])
    sign.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                              ("FONTNAME", (0, 1), (-1, 1), FONT_BOLD),
                              ("LINEABOVE", (0, 1), (0, 1), 0.7, "#000000"),
                              ("LINEABOVE", (2, 1), (2, 1), 0.7, "#000000"),
                              ("BOX", (1, 0), (1, 0), 0.7, "#000000"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 2)]))
    story.append(sign)
    story.append(Paragraph(escape(_(
        "Keep a copy. The signed original is kept at the casa with the person's records.")),
        st["small"].clone("copy", spaceBefore=10)))
    doc.build(story)
    return path


__all__ = ["ConsentFormData", "information_paragraphs", "write_consent_form"]

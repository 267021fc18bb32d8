"""The "constancia de atención": a paper the person takes home from any consultation.

It proves the person was attended (some institutions and employers ask for it) and, more
usefully, tells them in plain words what was done, what to do next, where to go and how to
reach the casa again. Callers pass display text (:class:`CertificateData`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import (
    FONT,
    Place,
    bullets,
    escape,
    letterhead,
    place_flowables,
    register_fonts,
    simple_doc,
    styles,
)


@dataclass
class CertificateData:
    person_name: str
    issued_on: str  # formatted date text
    casa_name: str = ""
    casa_address: str = ""
    casa_phone: str = ""
    casa_hours: str = ""
    logo_png: bytes | None = None
    staff_name: str = ""
    topics: list[str] = field(default_factory=list)
    done: str = ""  # what was done in the consultation
    next_steps: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)  # where to go
    paper: str = "A5"  # "A5" | "A4"


def write_certificate(data: CertificateData, path: Path) -> Path:
    """Write the constancia to ``path`` (one page unless the lists are long)."""
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    register_fonts()
    title = _("Certificate of attention")
    doc = simple_doc(path, data.paper, title)
    st = styles(1.0 if data.paper.upper() != "A4" else 1.2)
    contact = " · ".join(p for p in (data.casa_address, data.casa_phone) if p)
    story: list[Any] = letterhead(title.upper(), data.casa_name, contact, data.logo_png,
                                  doc.width, 1.0 if data.paper.upper() != "A4" else 1.2)
    where = data.casa_name or _("the Municipal Office for the Attention of Migrant Neighbours")
    story.append(Paragraph(escape(_(
        "The Metropolitan Municipality of Lima certifies that {name} was attended at {place} "
        "on {date}.").format(name=data.person_name, place=where, date=data.issued_on)),
        st["body"].clone("lead", spaceAfter=4)))
    sections: list[tuple[str, Any]] = []
    if data.topics:
        sections.append((_("WHAT YOU CONSULTED"), bullets(data.topics, st)))
    if data.done:
        sections.append((_("WHAT WAS DONE"), Paragraph(escape(data.done), st["body"])))
    if data.next_steps:
        sections.append((_("NEXT STEPS"), bullets(data.next_steps, st, numbered=True)))
    if data.places:
        sections.append((_("WHERE TO GO"), place_flowables(data.places, st)))
    for heading, content in sections:
        story.append(Paragraph(escape(heading), st["section"]))
        story.extend(content if isinstance(content, list) else [content])
    story.append(Spacer(1, 26))
    sign = Table([[Paragraph(escape(_("Attended by: {name}").format(name=data.staff_name)),
                             st["body"]),
                   Paragraph(escape(_("Signature and stamp of the OMA")),
                             st["small"].clone("sig", alignment=1))]],
                 colWidths=[doc.width * 0.5, doc.width * 0.5])
    sign.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                              ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEABOVE", (1, 0), (1, 0), 0.7, "#000000")]))
    story.append(sign)
    back = [p for p in (data.casa_address, data.casa_phone, data.casa_hours) if p]
    if back:
        story.append(Paragraph(escape(_("To come back or ask a question: {contact}").format(
            contact=" · ".join(back))), st["body"].clone("back", spaceBefore=10)))
    story.append(Paragraph(escape(_(
        "This certificate is not an identity document and does not prove migratory status. "
        "The OMA's services are free of charge.")), st["small"].clone("disclaimer",
                                                                      spaceBefore=6)))
    doc.build(story)
    return path

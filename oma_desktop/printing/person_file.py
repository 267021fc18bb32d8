"""The answer to an access request: an A4 PDF of everything held about a person.

Callers pass display text (:class:`PersonFileData`, built by ``services.person_file``):
sections (personal data, documents, household, consultations, referrals, follow-up calls,
consent history, changes to the record), each a list of items with label/value lines. The
page carries the casa's letterhead (``printing.letterhead``) and «Página N» at the foot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import (
    FONT,
    escape,
    letterhead,
    register_fonts,
    simple_doc,
    styles,
)


@dataclass
class FileItem:
    heading: str  # "" for a section with one item and no heading
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, value)


@dataclass
class FileSection:
    title: str
    items: list[FileItem] = field(default_factory=list)


@dataclass
class PersonFileData:
    person_name: str
    issued_on: str  # formatted date
    casa_name: str = ""
    casa_contact: str = ""
    logo_png: bytes | None = None
    sections: list[FileSection] = field(default_factory=list)
    reserved_note: str = ""  # said when the acting role could not include reserved data


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7)
    canvas.drawRightString(doc.leftMargin + doc.width, doc.bottomMargin / 2,
                           _("Page {number}").format(number=doc.page))
    canvas.restoreState()


def write_person_file(data: PersonFileData, path: Path) -> Path:
    """Write the file to ``path`` (a PDF, as many A4 pages as needed)."""
    from reportlab.platypus import KeepTogether, Paragraph, Table, TableStyle

    register_fonts()
    title = _("Personal data held by the OMA")
    doc = simple_doc(path, "A4", title)
    doc.pageTemplates[0].onPage = _footer
    scale = 1.2
    st = styles(scale)
    story: list[Any] = letterhead(title.upper(), data.casa_name, data.casa_contact,
                                  data.logo_png, doc.width, scale)
    story.append(Paragraph(escape(_(
        "In answer to the access request of {name} (Law No. 29733 on Personal Data "
        "Protection), this is all the information about them held in the OMA's data bank "
        "on {date}.").format(name=data.person_name, date=data.issued_on)),
        st["body"].clone("lead", spaceAfter=4)))
    if data.reserved_note:
        story.append(Paragraph(escape(data.reserved_note),
                               st["bold"].clone("reserved", textColor="#b71c1c")))
    label_width = doc.width * 0.3
    for section in data.sections:
        story.append(Paragraph(escape(section.title.upper()),
                               st["section"].clone("file-section", spaceBefore=10, spaceAfter=2)))
        if not section.items:
            story.append(Paragraph(escape(_("None.")), st["body"]))
            continue
        for item in section.items:
            block: list[Any] = []
            if item.heading:
                block.append(Paragraph(escape(item.heading),
                                       st["bold"].clone("item", spaceBefore=4)))
            if item.lines:
                table = Table([[Paragraph(escape(label), st["small"]),
                                Paragraph(escape(value), st["body"])]
                               for label, value in item.lines],
                              colWidths=[label_width, doc.width - label_width])
                table.setStyle(TableStyle([
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#cccccc"),
                ]))
                block.append(table)
            story.append(KeepTogether(block) if len(item.lines) < 25 else block[0])
            if len(item.lines) >= 25:
                story.extend(block[1:])
    story.append(Paragraph(escape(_(
        "If any of this is wrong you may ask for it to be corrected (rectification), deleted "
        "(cancellation) or no longer used for a purpose (opposition), at the casa or in "
        "writing, free of charge.")), st["small"].clone("closing", spaceBefore=12)))
    doc.build(story)
    return path


__all__ = ["FileItem", "FileSection", "PersonFileData", "write_person_file"]

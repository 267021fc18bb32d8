"""The day's sheet (Hoy): the attentions given at this casa on one day, with counts.

Anonymous quick consultations are listed like any other ("Atención anónima" instead of a
name), so they can be reopened from here and linked to a person later. The sheet is plain
data: the Hoy page shows it, :func:`day_export` turns it into an export table and
``oma_desktop.printing.day_sheet`` prints it (printing uses the core only, so it gets
text, never a session).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from oma_desktop.core.vocab import CHANNELS, label
from oma_desktop.i18n import _, format_date, format_datetime, ngettext
from oma_desktop.printing.sheets import PrintDocument, PrintSection
from oma_desktop.services.casas import casa_names
from oma_desktop.services.export import Sheet
from oma_desktop.services.history import topic_names
from oma_desktop.services.permissions import Permission, is_sensitive_consultation, reserved_text
from oma_desktop.services.session import Session


@dataclass(frozen=True)
class DayRow:
    consultation_id: str
    occurred_at: dt.datetime
    person_id: str | None
    person_name: str  # "Atención anónima" (with sex and age when known) for a walk-in
    topics: str  # labels, comma-separated
    topic_codes: tuple[str, ...]
    staff_user_id: str
    staff_name: str
    channel: str  # label
    follow_up_date: dt.date | None

    @property
    def anonymous(self) -> bool:
        return self.person_id is None

    @property
    def time_text(self) -> str:
        return self.occurred_at.strftime("%H:%M")


@dataclass(frozen=True)
class DaySheet:
    day: dt.date
    casa_id: str
    casa_name: str
    rows: tuple[DayRow, ...]
    by_topic: tuple[tuple[str, int], ...]  # (label, consultations), most first
    by_staff: tuple[tuple[str, int], ...]  # (name, consultations), most first

    @property
    def anonymous_count(self) -> int:
        return sum(1 for r in self.rows if r.anonymous)


def anonymous_text(sex: str | None, age: int | None) -> str:
    """``Atención anónima (mujer, 34 años)``: what a walk-in left on record."""
    facts = []
    if sex == "F":
        facts.append(_("woman"))
    elif sex == "M":
        facts.append(_("man"))
    if age is not None:
        facts.append(_("{n} years").format(n=age))
    base = _("Anonymous attention")
    return f"{base} ({', '.join(facts)})" if facts else base


def _person_name(row: dict[str, object]) -> str:
    return " ".join(
        str(row[k]) for k in ("given_names", "paternal_surname", "maternal_surname") if row[k]
    )


def _counted(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].casefold())))


def day_sheet(session: Session, day: dt.date, casa_id: str | None = None) -> DaySheet:
    """The attentions of ``day`` at ``casa_id`` (this installation's casa by default),
    in the order they happened."""
    session.require(Permission.VIEW_PERSONS)
    casa = casa_id or session.casa_id
    start = dt.datetime.combine(day, dt.time())
    rows = session.store.rows(
        "SELECT c.id, c.occurred_at, c.person_id, c.topics, c.channel, c.staff_user_id,"
        " c.follow_up_date, c.anon_sex, c.anon_age, p.given_names, p.paternal_surname,"
        " p.maternal_surname, u.display_name"
        " FROM consultation c LEFT JOIN person p ON p.id = c.person_id"
        " LEFT JOIN app_user u ON u.id = c.staff_user_id"
        " WHERE c.occurred_at >= ? AND c.occurred_at < ? AND c.casa_id = ? AND c.deleted = 0"
        " ORDER BY c.occurred_at, c.id",
        [start.isoformat(timespec="minutes"),
         (start + dt.timedelta(days=1)).isoformat(timespec="minutes"), casa],
    )
    catalogs = session.catalogs
    out: list[DayRow] = []
    topics: Counter[str] = Counter()
    staff: Counter[str] = Counter()
    hidden = not session.can(Permission.VIEW_SENSITIVE)
    for r in rows:
        codes = tuple(dict.fromkeys(json.loads(r["topics"] or "[]")))
        withheld = hidden and is_sensitive_consultation(catalogs, codes)
        if withheld:  # counted, but under «Reservado», not by topic
            codes = ()
        staff_name = str(r["display_name"] or r["staff_user_id"] or _("Not recorded"))
        name = (_person_name(r) if r["person_id"]
                else anonymous_text(r["anon_sex"], r["anon_age"]))
        out.append(DayRow(
            consultation_id=r["id"],
            occurred_at=dt.datetime.fromisoformat(r["occurred_at"]),
            person_id=r["person_id"],
            person_name=name,
            topics=reserved_text() if withheld else topic_names(catalogs, codes),
            topic_codes=codes,
            staff_user_id=r["staff_user_id"] or "",
            staff_name=staff_name,
            channel=label(CHANNELS, r["channel"]),
            follow_up_date=dt.date.fromisoformat(r["follow_up_date"]) if r["follow_up_date"] else None,
        ))
        for code in codes:
            topics[topic_names(catalogs, [code])] += 1
        if withheld:
            topics[reserved_text()] += 1
        staff[staff_name] += 1
    return DaySheet(
        day=day,
        casa_id=casa,
        casa_name=casa_names(session).get(casa, casa),
        rows=tuple(out),
        by_topic=_counted(topics),
        by_staff=_counted(staff),
    )


def day_title(sheet: DaySheet) -> str:
    return _("Day sheet — {casa} — {date}").format(casa=sheet.casa_name, date=format_date(sheet.day))


def day_totals_text(sheet: DaySheet) -> str:
    """``12 atenciones (3 anónimas)``."""
    n = len(sheet.rows)
    text = ngettext("{n} attention", "{n} attentions", n).format(n=n)
    if sheet.anonymous_count:
        text += " " + ngettext("({n} anonymous)", "({n} anonymous)",
                               sheet.anonymous_count).format(n=sheet.anonymous_count)
    return text


def day_export(sheet: DaySheet) -> list[Sheet]:
    """The day's sheet as export tables: the attentions, then the counts."""
    notes = (day_title(sheet), day_totals_text(sheet))
    attentions = Sheet(
        title=_("Attentions"),
        headers=(_("Time"), _("Person"), _("Topics"), _("Staff"), _("Channel"), _("Follow-up")),
        rows=[(r.time_text, r.person_name, r.topics, r.staff_name, r.channel,
               format_date(r.follow_up_date) if r.follow_up_date else "") for r in sheet.rows],
        notes=notes,
        widths=(8, 34, 50, 24, 14, 12),
    )
    counts = Sheet(
        title=_("Counts"),
        headers=(_("Topic"), _("Attentions")),
        rows=[*sheet.by_topic, ("", None), (_("Staff member"), _("Attentions")),
              *sheet.by_staff],
        notes=notes,
        widths=(50, 12),
    )
    return [attentions, counts]


def counts_sections(sheet: DaySheet) -> list[PrintSection]:
    return [
        PrintSection(_("Attentions by topic"), (_("Topic"), _("Attentions")),
                     [(name, str(n)) for name, n in sheet.by_topic], (5, 1),
                     _("No attentions.")),
        PrintSection(_("Attentions by staff member"), (_("Staff member"), _("Attentions")),
                     [(name, str(n)) for name, n in sheet.by_staff], (5, 1),
                     _("No attentions.")),
    ]


def day_print(sheet: DaySheet, printed_at: dt.datetime | None = None) -> PrintDocument:
    """The day's sheet for ``printing.sheets.write_pdf``: the list, then the counts."""
    table = day_export(sheet)[0]
    return PrintDocument(
        title=day_title(sheet),
        subtitle=day_totals_text(sheet),
        sections=[
            PrintSection(_("Attentions"), table.headers,
                         [tuple(str(c or "") for c in row) for row in table.rows],
                         (1, 5, 7, 3.5, 2, 2.5), _("No attentions recorded this day.")),
            *counts_sections(sheet),
        ],
        footer=_("Printed on {when} by OMA Desktop").format(
            when=format_datetime(printed_at or dt.datetime.now())),
        page_label=_("Page {n}"),
    )

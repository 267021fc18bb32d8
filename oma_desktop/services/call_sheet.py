"""The call list as a sheet to export (CSV, XLSX) or print (PDF), with what it shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from oma_desktop.i18n import _, format_date, format_datetime, ngettext
from oma_desktop.printing.sheets import PrintDocument, PrintSection
from oma_desktop.services.casas import casa_names
from oma_desktop.services.export import Sheet
from oma_desktop.services.followup import (
    ALL_CASAS,
    DUE_OVERDUE,
    DUE_TODAY,
    DUE_WEEK,
    CallFilter,
    QueueItem,
    call_headers,
    call_rows,
)
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.services.staff import staff_name


def due_text(due: str) -> str:
    return {
        DUE_TODAY: _("due today or overdue"),
        DUE_WEEK: _("due this week or overdue"),
        DUE_OVERDUE: _("overdue"),
    }.get(due, _("overdue and upcoming"))


def call_list_title(session: Session, flt: CallFilter, today: dt.date) -> str:
    casa = flt.casa_id or session.casa_id
    where = _("All casas") if casa == ALL_CASAS else casa_names(session).get(casa, casa)
    return _("Call list — {casa} — {date}").format(casa=where, date=format_date(today))


def call_list_subtitle(session: Session, items: Sequence[QueueItem], flt: CallFilter) -> str:
    parts = [ngettext("{n} call to make", "{n} calls to make", len(items)).format(n=len(items)),
             due_text(flt.due)]
    if flt.staff_user_id:
        parts.append(_("attended by {name}").format(name=staff_name(session, flt.staff_user_id)))
    return " · ".join(parts)


def call_list_export(
    session: Session, items: Sequence[QueueItem], today: dt.date, flt: CallFilter
) -> list[Sheet]:
    session.require(Permission.VIEW_PERSONS)
    return [Sheet(
        title=_("Calls"),
        headers=call_headers(),
        rows=call_rows(session, items, today),
        notes=(call_list_title(session, flt, today), call_list_subtitle(session, items, flt)),
        widths=(12, 22, 32, 18, 40, 20, 44),
    )]


def call_list_print(
    session: Session, items: Sequence[QueueItem], today: dt.date, flt: CallFilter,
    printed_at: dt.datetime | None = None,
) -> PrintDocument:
    session.require(Permission.VIEW_PERSONS)
    return PrintDocument(
        title=call_list_title(session, flt, today),
        subtitle=call_list_subtitle(session, items, flt),
        sections=[PrintSection("", call_headers(), call_rows(session, items, today),
                               (2.0, 2.4, 3.4, 2.6, 4.0, 2.4, 4.0),
                               _("Nothing pending for this filter."))],
        footer=_("Printed on {when} by OMA Desktop").format(
            when=format_datetime(printed_at or dt.datetime.now())),
        page_label=_("Page {n}"),
    )

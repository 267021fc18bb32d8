"""Comunidad (Ctrl+0): the events the casa holds and the registry of migrant organisations,
in two tabs (issue #11, point 6).

Eventos: the events newest first, filtered by year, kind and a search on the name, place or
organisers (and by casa at headquarters), with the attendance of each; Ctrl+N registers one,
Enter (or a double click) opens it, Supr deletes it after asking. Organizaciones: the registry
by name, searched as you type, filtered by recognition status; inactive ones on request.

Who sees what: the page is listed for the roles that see the reports (``VIEW_REPORTS``:
coordinación, administración de casa, the headquarters analyst and administration); those
that also have ``MANAGE_EVENTS`` (all but the analyst) register, correct and delete. The
analyst opens events and organisations read-only, without the names of the persons linked.
Both lists refresh themselves when events or organisations change (ChangeHub).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import N_, _, current_language, format_number, ngettext
from oma_desktop.services import events, organisations
from oma_desktop.services.casas import casa_choices, casa_names
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.comunidad.models import EventsModel, OrganisationsModel
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.widgets.forms import CodeCombo
from oma_desktop.ui.widgets.person_page import DialogHost, action_button, shortcut
from oma_desktop.ui.widgets.row_table import read_only_rows

EVENT_ENTITIES = frozenset({"event", "event_attendee", "organisation"})
ORGANISATION_ENTITIES = frozenset({"organisation"})
KEY_NEW, KEY_OPEN, KEY_DELETE = "Ctrl+N", "Ctrl+E", "Del"
SEARCH_DEBOUNCE_MS = 150
DETAIL_NAMES = 6  # names of linked persons shown under the list (the form lists them all)


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask yes/no (tests replace this function)."""
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def _table(model: Any, name: str) -> QTableView:
    table = read_only_rows(QTableView(), name)
    table.setModel(model)
    table.setAlternatingRowColors(True)
    return table


def _fit(table: QTableView, samples: dict[int, str], stretch: tuple[int, ...]) -> None:
    """Columns as wide as their title or a sample value; ``stretch`` share what is left."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    metrics, header_metrics = table.fontMetrics(), header.fontMetrics()
    model = table.model()
    for column, sample in samples.items():
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        header.resizeSection(column, max(metrics.horizontalAdvance(sample),
                                         header_metrics.horizontalAdvance(title)) + 24)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)


class _Tab(QWidget):
    """What both tabs share: the table, the details under it, the buttons, the read-only
    note for a role that may not write."""

    table: QTableView
    model: EventsModel | OrganisationsModel

    def __init__(self, ctx: AppContext, host: DialogHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.host = host
        self.may_edit = ctx.session.can(Permission.MANAGE_EVENTS)
        self.count_label = QLabel()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.read_only_note = QLabel(
            _("Your role may see the events and organisations but not register or change "
              "them.") + " " + str(denied(ctx.session.actor.role, Permission.MANAGE_EVENTS)))
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet("color: #555;")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)

    def _search(self, placeholder: str, name: str) -> QLineEdit:
        """The search box at the head of the tab; typing refreshes after a short pause."""
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(name)
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda _t: self._timer.start())
        return edit

    def _build(self, filters: QHBoxLayout, new_label: str, new: Callable[[], object],
               open_: Callable[[], object], delete: Callable[[], object]) -> None:
        """Under ``filters`` and the table: the details, the message, the buttons New, View or
        Edit and Delete (the first and last only for a role that writes) and their keys."""
        self.new_button = action_button(new_label, KEY_NEW, primary=True)
        self.open_button = action_button(_("View") if not self.may_edit else _("Edit"),
                                         KEY_OPEN)
        self.delete_button = action_button(_("Delete ({key})").format(key=_("Del")))
        self.new_button.clicked.connect(lambda: new())
        self.open_button.clicked.connect(lambda: open_())
        self.delete_button.clicked.connect(lambda: delete())
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.read_only_note, 1)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        # once in the layout (shown before, a widget without a parent is a window of its own)
        self.read_only_note.setVisible(not self.may_edit)
        self.new_button.setVisible(self.may_edit)
        self.delete_button.setVisible(self.may_edit)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_details())
        self.table.activated.connect(lambda _i: open_())
        self.shortcuts = [shortcut(self, KEY_NEW, new), shortcut(self, KEY_OPEN, open_),
                          shortcut(self, KEY_DELETE, delete), shortcut(self, "F5", self.refresh)]

    def refresh(self) -> None:
        raise NotImplementedError

    def _show_details(self) -> None:
        """The buttons follow the selection; the details of the chosen row show below."""
        row = self.current()
        self.open_button.setEnabled(row is not None)
        self.delete_button.setEnabled(row is not None)
        if row is None:
            self.details.clear()
            return
        self.details.setText("<br>".join(self._detail_parts(row)))

    def _detail_parts(self, row: Any) -> list[str]:
        """The lines (escaped rich text) describing ``row`` under the list."""
        raise NotImplementedError

    def _district(self, ubigeo: str | None) -> str:
        if not ubigeo:
            return ""
        try:
            return self.ctx.catalogs.district(ubigeo).label()
        except KeyError:
            return ubigeo

    def _say(self, text: str) -> None:
        self.message.setText(text)

    # --- New, View/Edit and Delete, the same in both tabs; each says which dialog, which
    # --- words and which service call (_dialog, choose_first, saved_text, _deletion)

    choose_first = ""
    saved_text = ""

    def _dialog(self, row_id: str | None) -> QDialog:
        raise NotImplementedError

    def _deletion(self, row: Any) -> tuple[str, str, Callable[[], object], str]:
        """The confirmation's title and question, the deletion, and what to say after."""
        raise NotImplementedError

    def new_record(self) -> QDialog | None:
        if not self.may_edit:
            return None
        return self._open(None)

    def open_record(self) -> QDialog | None:
        row = self.current()
        if row is None:
            self._say(_(self.choose_first))
            return None
        return self._open(row.id)

    def _open(self, row_id: str | None) -> QDialog | None:
        if self.host.dialog is not None:
            return None

        def saved(d: QDialog) -> None:
            self.refresh()
            self._select(getattr(d, "result_id", None))
            self._say(_(self.saved_text))

        return self.host.open(self._dialog(row_id), saved)

    def delete_record(self) -> bool:
        row = self.current()
        if row is None or not self.may_edit or self.host.dialog is not None:
            return False
        title, question, delete, done = self._deletion(row)
        if not confirm(self, title, question):
            return False
        try:
            delete()
        except OmaError as exc:
            self._say(str(exc))
            return False
        self.refresh()
        self._say(done)
        return True

    def current(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row_object(index.row()) if index.isValid() else None

    def _select(self, row_id: str | None) -> None:
        row = self.model.row_of(row_id) if row_id else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.table.setCurrentIndex(QModelIndex())


class EventsTab(_Tab):
    def __init__(self, ctx: AppContext, host: DialogHost, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(ctx, host, parent)
        self.today = today
        session = ctx.session
        self.year_filter = CodeCombo([], empty_label=_("All years"))
        self.year_filter.setAccessibleName(_("Year"))
        self.kind_filter = CodeCombo([(c, _(label)) for c, label in events.KINDS],
                                     empty_label=_("All kinds"))
        self.kind_filter.setAccessibleName(_("Kind of event"))
        self.casa_filter: CodeCombo | None = None
        if session.at_hq:
            self.casa_filter = CodeCombo(casa_choices(session), empty_label=_("All casas"))
            self.casa_filter.setAccessibleName(_("Casa"))
        self.search_edit = self._search(_("Search by name, place or organisers…"),
                                        _("Search events"))
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 3)
        filters.addWidget(self.year_filter, 1)
        filters.addWidget(self.kind_filter, 2)
        if self.casa_filter is not None:
            filters.addWidget(self.casa_filter, 1)
        filters.addWidget(self.count_label, 2)

        names = casa_names(session)
        self.model = EventsModel(lambda code: names.get(code, code), self)
        self.table = _table(self.model, _("Events"))
        _fit(self.table, {0: "00/00/0000", 1: "Talentos vecinales", 3: "00,000",
                          4: "00,000", 5: "00,000", 6: "00,000", 7: "00,000",
                          8: "Casa Vecinal 6"}, (2,))
        self.table.setColumnHidden(EventsModel.COL_CASA, self.casa_filter is None)
        self._build(filters, _("New event"), self.new_event, self.open_event, self.delete_event)
        for combo in (self.year_filter, self.kind_filter, self.casa_filter):
            if combo is not None:
                combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self._org_names: dict[str, str] = {}
        self.refresh()

    def _fill_years(self) -> None:
        keep = self.year_filter.value()
        years = [str(y) for y in events.event_years(self.ctx.session)]
        if keep and keep not in years:
            years.append(keep)
        self.year_filter.blockSignals(True)
        self.year_filter.clear()
        self.year_filter.addItem(_("All years"), "")
        for year in years:
            self.year_filter.addItem(year, year)
        self.year_filter.set_value(keep)
        self.year_filter.blockSignals(False)

    def refresh(self) -> None:
        self._timer.stop()
        if self.ctx.session.closed:
            return
        self._fill_years()
        keep = self.current()
        year = self.year_filter.value()
        rows = events.list_events(
            self.ctx.session,
            dt.date(int(year), 1, 1) if year else None,
            dt.date(int(year), 12, 31) if year else None,
            casa_id=(self.casa_filter.value() or None) if self.casa_filter is not None
            else None,
            kind=self.kind_filter.value() or None, text=self.search_edit.text())
        self.model.set_rows(rows)
        self._org_names = {o.id: o.shown_name for o in organisations.list_organisations(
            self.ctx.session)}
        attendance = sum(r.attendance_total for r in rows)
        self.count_label.setText(ngettext(
            "{n} event, {people} attendees", "{n} events, {people} attendees", len(rows)).format(
                n=format_number(len(rows)), people=format_number(attendance)))
        self._select(keep.id if keep is not None else None)
        if not rows:
            self._say(_("No event matches these filters.") if self._filtered() else
                      _("No event registered yet.") + (
                          " " + _("Press {key} to register the first one.").format(key=KEY_NEW)
                          if self.may_edit else ""))
        else:
            self._say("")
        self._show_details()

    def _filtered(self) -> bool:
        return bool(self.year_filter.value() or self.kind_filter.value()
                    or self.search_edit.text().strip()
                    or (self.casa_filter is not None and self.casa_filter.value()))

    def _detail_parts(self, row: Any) -> list[str]:
        view = events.get_event(self.ctx.session, row.id)
        data = view.data
        lang_topics = [self.ctx.catalogs.topic(t).label(current_language()) for t in data.topics
                       if t in {x.code for x in self.ctx.catalogs.topics}]
        parts = [f"<b>{_escape(row.title)}</b> — {_escape(row.kind_label)}, "
                 f"{_escape(row.dates_text)}"]
        where = ", ".join(p for p in (row.place, self._district(row.district_ubigeo)) if p)
        if where:
            parts.append(_("Place: {place}").format(place=_escape(where)))
        if data.organisers:
            parts.append(_("Organised by: {who}").format(who=_escape(data.organisers)))
        if data.hours:
            parts.append(_("Duration: {hours} hours").format(hours=format_number(data.hours)))
        if data.staff_by_gerencia:
            parts.append(_("Staff trained: {list}").format(list=_escape("; ".join(
                f"{name} ({n})" for name, n in sorted(data.staff_by_gerencia.items())))))
        if lang_topics:
            parts.append(_("Topics: {list}").format(list=_escape(", ".join(lang_topics))))
        if data.organisation_ids:
            parts.append(_("Organisations: {list}").format(list=_escape(", ".join(
                self._org_names.get(o, "?") for o in data.organisation_ids))))
        if view.attendees:
            names = ", ".join(a.name for a in view.attendees[:DETAIL_NAMES])
            more = len(view.attendees) - DETAIL_NAMES
            if more > 0:
                names += " " + ngettext("and {n} more", "and {n} more", more).format(
                    n=format_number(more))
            parts.append(_("Registered persons: {list}").format(list=_escape(names)))
        elif row.linked:
            parts.append(ngettext("{n} registered person linked.",
                                  "{n} registered persons linked.", row.linked).format(
                                      n=format_number(row.linked)))
        if data.notes:
            parts.append(_("Notes: {text}").format(text=_escape(data.notes)))
        return parts

    # --- actions --------------------------------------------------------------------

    new_event, open_event, delete_event = _Tab.new_record, _Tab.open_record, _Tab.delete_record
    choose_first = N_("First choose an event in the list.")
    saved_text = N_("Event saved.")

    def _dialog(self, row_id: str | None) -> QDialog:
        from oma_desktop.ui.comunidad.event_dialog import EventDialog

        return EventDialog(self.ctx, self, row_id, today=self.today)

    def _deletion(self, row: Any) -> tuple[str, str, Callable[[], object], str]:
        return (_("Delete event"),
                _("Delete the event «{title}» of {date}? Its attendance will no longer count "
                  "in the reports.").format(title=row.title, date=row.dates_text),
                lambda: events.delete_event(self.ctx.session, row.id),
                _("Event «{title}» deleted.").format(title=row.title))


class OrganisationsTab(_Tab):
    def __init__(self, ctx: AppContext, host: DialogHost, parent: QWidget | None = None) -> None:
        super().__init__(ctx, host, parent)
        self.search_edit = self._search(_("Search by name, acronym or contact…"),
                                        _("Search organisations"))
        self.status_filter = CodeCombo([(c, _(label)) for c, label in
                                        organisations.RECOGNITION],
                                       empty_label=_("Any recognition status"))
        self.status_filter.setAccessibleName(_("Recognition"))
        self.inactive_check = QCheckBox(_("Include inactive organisations"))
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 3)
        filters.addWidget(self.status_filter, 2)
        filters.addWidget(self.inactive_check)
        filters.addWidget(self.count_label, 2)

        self.model = OrganisationsModel(self._district, self)
        self.table = _table(self.model, _("Migrant organisations"))
        _fit(self.table, {1: "San Juan de Lurigancho", 2: "0,000", 3: "No reconocida",
                          4: "2025, 2026", 5: "María Alejandra Rodríguez", 6: "987654321"},
             (0,))
        self._build(filters, _("New organisation"), self.new_organisation,
                    self.open_organisation, self.delete_organisation)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.inactive_check.toggled.connect(lambda _on: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self._timer.stop()
        if self.ctx.session.closed:
            return
        keep = self.current()
        rows = organisations.list_organisations(
            self.ctx.session, self.search_edit.text(),
            recognition_status=self.status_filter.value() or None,
            include_inactive=self.inactive_check.isChecked())
        self.model.set_rows(rows)
        members = sum(r.members or 0 for r in rows)
        self.count_label.setText(ngettext(
            "{n} organisation, {members} members", "{n} organisations, {members} members",
            len(rows)).format(n=format_number(len(rows)), members=format_number(members)))
        self._select(keep.id if keep is not None else None)
        if rows:
            self._say("")
        elif self.search_edit.text().strip() or self.status_filter.value():
            self._say(_("No organisation matches these filters."))
        else:
            self._say(_("No organisation registered yet.") + (
                " " + _("Press {key} to register the first one.").format(key=KEY_NEW)
                if self.may_edit else ""))
        self._show_details()

    def _detail_parts(self, row: Any) -> list[str]:
        parts = [f"<b>{_escape(row.shown_name)}</b> — {_escape(row.kind_label)}"]
        contact = " · ".join(p for p in (row.contact_name, row.contact_phone,
                                         row.contact_email) if p)
        if contact:
            parts.append(_("Contact: {contact}").format(contact=_escape(contact)))
        recognition = row.recognition_label
        if row.recognition_reference:
            recognition += f" ({row.recognition_reference})"
        parts.append(_("Recognition: {status}").format(status=_escape(recognition)))
        if row.participatory_budget:
            parts.append(_("Takes part in the participatory budget: {years}").format(
                years=_escape(row.budget_years or _("yes"))))
        if row.notes:
            parts.append(_("Notes: {text}").format(text=_escape(row.notes)))
        return parts

    new_organisation, open_organisation = _Tab.new_record, _Tab.open_record
    delete_organisation = _Tab.delete_record
    choose_first = N_("First choose an organisation in the list.")
    saved_text = N_("Organisation saved.")

    def _dialog(self, row_id: str | None) -> QDialog:
        from oma_desktop.ui.comunidad.organisation_dialog import OrganisationDialog

        return OrganisationDialog(self.ctx, self, row_id)

    def _deletion(self, row: Any) -> tuple[str, str, Callable[[], object], str]:
        return (_("Delete organisation"),
                _("Delete «{name}» from the registry? Do it only if it was registered by "
                  "mistake: an organisation that no longer meets is marked inactive instead."
                  ).format(name=row.name),
                lambda: organisations.delete_organisation(self.ctx.session, row.id),
                _("Organisation «{name}» deleted.").format(name=row.name))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CommunityPage(QWidget):
    """The page registered as «Comunidad» in ``ui/pages.py``."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.host = DialogHost(self)
        title = QLabel(_("Community: events and migrant organisations"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        self.tabs = QTabWidget()
        self.events_tab = EventsTab(ctx, self.host, today=today)
        self.organisations_tab = OrganisationsTab(ctx, self.host)
        self.tabs.addTab(self.events_tab, _("&Events"))
        self.tabs.addTab(self.organisations_tab, _("&Organisations"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)
        subscribe(self, ctx.session, EVENT_ENTITIES, lambda _c: self.events_tab.refresh())
        subscribe(self, ctx.session, ORGANISATION_ENTITIES,
                  lambda _c: self.organisations_tab.refresh())

    @property
    def active_dialog(self) -> QDialog | None:
        return self.host.dialog

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            QTimer.singleShot(0, self._focus_list)

    def _focus_list(self) -> None:
        if not self.isVisible() or self.host.dialog is not None:
            return
        tab = self.tabs.currentWidget()
        table = getattr(tab, "table", None)
        if isinstance(table, QTableView):
            table.setFocus(Qt.FocusReason.OtherFocusReason)


__all__ = ["CommunityPage", "EventsTab", "OrganisationsTab", "confirm"]

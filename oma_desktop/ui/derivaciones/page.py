"""Derivaciones (Ctrl+3): the referrals list and the service directory, in two tabs.

Referrals: filter by state or «vencidas»; F4 changes the selected referral's state, F6
records a returned counter-referral stub (typed or scanned), Ctrl+P reprints the current
slip, Ctrl+Shift+P prints every selected slip in one PDF. Directory: search as you type
with topic and district filters; Enter or Ctrl+E edits, Ctrl+N adds a service.
Both lists refresh themselves when referrals or services change (ChangeHub).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, current_language, ngettext
from oma_desktop.printing.letterhead import known
from oma_desktop.services import directory, referrals
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.derivaciones.labels import status_label
from oma_desktop.ui.derivaciones.models import ReferralsModel, ServicesModel
from oma_desktop.ui.derivaciones.routes_tab import RoutesTab
from oma_desktop.ui.widgets.field_widgets import catalog_choices
from oma_desktop.ui.widgets.forms import CodeCombo
from oma_desktop.ui.widgets.person_page import DialogHost, action_button, shortcut

REFERRAL_ENTITIES = frozenset({"referral", "referral_event", "person", "service"})
SERVICE_ENTITIES = frozenset({"service"})
OPEN_FILTER = "_open"  # the state filter's "waiting for an outcome" choice
LIST_LIMIT = 5000  # rows a list shows at once (soonest due first)
KEY_STATE = "F4"
KEY_OUTCOME = "F6"
KEY_REPRINT = "Ctrl+P"
KEY_PRINT_SELECTED = "Ctrl+Shift+P"
KEY_NEW = "Ctrl+D"  # as on Atención and Personas, where the person is chosen


def _table(model: Any) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    return table


class ReferralsTab(QWidget):
    def __init__(self, ctx: AppContext, host: DialogHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.host = host
        self.preview: QDialog | None = None
        self.status_filter = CodeCombo(
            [(OPEN_FILTER, _("Waiting for an outcome (issued or delivered)")),
             *((code, status_label(code)) for code, _label in referrals.STATUSES)],
            empty_label=_("All states"))
        self.status_filter.set_value(OPEN_FILTER)  # what the desk follows up
        self.status_filter.setAccessibleName(_("State"))
        self.overdue_check = QCheckBox(_("&Overdue only"))
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(QLabel(_("State:")))
        filters.addWidget(self.status_filter)
        filters.addWidget(self.overdue_check)
        filters.addStretch(1)
        filters.addWidget(self.count_label)

        self.model = ReferralsModel(self)
        self.table = _table(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAccessibleName(_("Referrals"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.new_button = action_button(_("New referral…"), KEY_NEW)
        self.new_button.setToolTip(_("A referral is made from the person: find them on "
                                     "Atención (Ctrl+1) and press Ctrl+D."))
        self.new_button.clicked.connect(self.new_referral)
        self.state_button = action_button(_("Change state"), KEY_STATE)
        self.outcome_button = action_button(_("Record counter-referral"), KEY_OUTCOME, True)
        self.reprint_button = action_button(_("Reprint"), KEY_REPRINT)
        self.print_selected_button = action_button(_("Print selected"), KEY_PRINT_SELECTED)
        self.state_button.clicked.connect(self.change_state)
        self.outcome_button.clicked.connect(self.record_outcome)
        self.reprint_button.clicked.connect(self.reprint)
        self.print_selected_button.clicked.connect(self.print_selected)
        buttons = QHBoxLayout()
        for button in (self.outcome_button, self.state_button, self.reprint_button,
                       self.print_selected_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        self.message = QLabel()
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue_check.toggled.connect(lambda _on: self.refresh())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self.change_state())
        self.shortcuts = [
            shortcut(self, KEY_STATE, self.change_state),
            shortcut(self, KEY_OUTCOME, self.record_outcome),
            shortcut(self, KEY_REPRINT, self.reprint),
            shortcut(self, KEY_PRINT_SELECTED, self.print_selected),
            shortcut(self, KEY_NEW, self.new_referral),
        ]
        self.refresh()

    # --- the list -------------------------------------------------------------------

    def refresh(self) -> None:
        selected = {row.id for row in self.selected_rows()}
        current_row = self.table.currentIndex().row()
        rows = self._rows(self.status_filter.value(), self.overdue_check.isChecked())
        self.model.set_rows(rows)
        if len(rows) >= LIST_LIMIT:
            self.count_label.setText(_("The first {n} referrals by due date: filter by state "
                                       "to see the rest").format(n=len(rows)))
        else:
            self.count_label.setText(ngettext("{n} referral", "{n} referrals", len(rows)).format(
                n=len(rows)))
        selection = self.table.selectionModel()
        for number, row in enumerate(rows):
            if row.id in selected:
                selection.select(self.model.index(number, 0),
                                 selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        if selected and not selection.hasSelection() and rows and current_row >= 0:
            # the referral just changed left the list: the next one is ready for F4
            self.table.selectRow(min(current_row, len(rows) - 1))
        self.table.setToolTip("" if rows else self._empty_hint())
        if not rows:
            self._say(self._empty_hint())
        elif self.message.text() == self._empty_hint():
            self._say("")
        self._update_buttons()

    def _empty_hint(self) -> str:
        if self.status_filter.value() == OPEN_FILTER and not self.overdue_check.isChecked():
            return _("No referral is waiting for an outcome. New referrals are made from the "
                     "person: find them on Atención (Ctrl+1) and press Ctrl+D.")
        return _("No referral matches these filters. Choose «All states» and untick «Overdue "
                 "only» to see them all.")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            QTimer.singleShot(0, self._focus_list)

    def _focus_list(self) -> None:
        """Coming to the page, the list has the focus (the arrows move in it, F4 and F6
        act on it) and its first referral is selected."""
        if not self.isVisible() or self.host.dialog is not None:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.selected_rows() and self.model.rowCount():
            self.table.selectRow(0)

    def _rows(self, status: str, overdue: bool) -> list[Any]:
        session = self.ctx.session
        if status != OPEN_FILTER:
            return referrals.list_referrals(session, status=status or None,
                                            overdue_only=overdue, limit=LIST_LIMIT)
        rows = [row for code in referrals.OPEN_STATUSES for row in referrals.list_referrals(
            session, status=code, overdue_only=overdue, limit=LIST_LIMIT)]
        return sorted(rows, key=lambda r: (r.due_date, r.code))[:LIST_LIMIT]

    def selected_rows(self) -> list[Any]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row_object(r) for r in rows]

    def current_row(self) -> Any:
        index = self.table.currentIndex()
        if index.isValid() and self.table.selectionModel().isRowSelected(index.row(),
                                                                          QModelIndex()):
            return self.model.row_object(index.row())
        rows = self.selected_rows()
        return rows[0] if rows else None

    def _update_buttons(self) -> None:
        count = len(self.selected_rows())
        for button in (self.state_button, self.reprint_button):
            button.setEnabled(count >= 1)
        self.print_selected_button.setEnabled(count >= 1)

    def _say(self, text: str) -> None:
        self.message.setText(text)

    # --- actions --------------------------------------------------------------------

    def change_state(self) -> QDialog | None:
        from oma_desktop.ui.derivaciones.status_dialog import StatusDialog

        row = self.current_row()
        if self.host.dialog is not None:
            return None
        if row is None:
            self._say(self._choose_first())
            return None
        dialog = StatusDialog(self.ctx, row.id, row.code, row.status, self)
        return self.host.open(dialog, lambda d: self._say(
            _("{code} is now «{state}».").format(
                code=row.code, state=status_label(getattr(d, "new_status", "")))))

    def _choose_first(self) -> str:
        return _("First choose a referral in the list (arrows or a click).")

    def new_referral(self) -> None:
        """Ctrl+D: referrals are made from the person, so go where the person is found."""
        show_page = getattr(self.window(), "show_page", None)
        if callable(show_page):
            show_page("attention")
        else:
            self._say(self.new_button.toolTip())

    def record_outcome(self) -> QDialog | None:
        from oma_desktop.ui.derivaciones.outcome_dialog import OutcomeDialog

        if self.host.dialog is not None:
            return None
        return self.host.open(OutcomeDialog(self.ctx, self), lambda _d: None)

    def reprint(self) -> QDialog | None:
        row = self.current_row()
        if row is None:
            self._say(self._choose_first())
            return None
        return self.preview_slips([row])

    def print_selected(self) -> QDialog | None:
        rows = self.selected_rows()
        if not rows:
            self._say(self._choose_first())
            return None
        return self.preview_slips(rows)

    def preview_slips(self, rows: list[Any]) -> QDialog | None:
        from oma_desktop.ui.derivaciones.slip_preview import SlipPreviewDialog

        if self.host.dialog is not None:
            return None
        dialog = SlipPreviewDialog(self.ctx, [r.id for r in rows], [r.code for r in rows], self)
        return self.host.open(dialog, lambda _d: None)


class DirectoryTab(QWidget):
    def __init__(self, ctx: AppContext, host: DialogHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.host = host
        lang = current_language()
        topics = [(t.code, t.label(lang)) for t in ctx.catalogs.topics]
        districts = catalog_choices(ctx.catalogs, "districts")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Search by name, acronym or what they offer…"))
        self.search_edit.setAccessibleName(_("Search services"))
        self.search_edit.setClearButtonEnabled(True)
        self.topic_filter = CodeCombo(topics, empty_label=_("All topics"))
        self.topic_filter.setAccessibleName(_("Topic"))
        self.district_filter = CodeCombo(districts, empty_label=_("All districts"))
        self.district_filter.setAccessibleName(_("District"))
        self.inactive_check = QCheckBox(_("Include inactive"))
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 2)
        filters.addWidget(self.topic_filter, 1)
        filters.addWidget(self.district_filter, 1)
        filters.addWidget(self.inactive_check)
        filters.addWidget(self.count_label)

        self.model = ServicesModel(dict(topics), dict(districts), self)
        self.table = _table(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAccessibleName(_("Service directory"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.new_button = action_button(_("New service"), "Ctrl+N")
        self.edit_button = action_button(_("Edit"), "Ctrl+E")
        self.new_button.clicked.connect(self.new_service)
        self.edit_button.clicked.connect(self.edit_service)
        self.may_edit = ctx.session.can(Permission.EDIT_DIRECTORY)
        self.read_only_note = QLabel(str(denied(ctx.session.actor.role,
                                                Permission.EDIT_DIRECTORY)))
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setStyleSheet("color: #555;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.read_only_note, 1)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        # once in the layout (shown before, a widget without a parent is a window of its own)
        self.read_only_note.setVisible(not self.may_edit)
        self.new_button.setVisible(self.may_edit)
        self.edit_button.setVisible(self.may_edit)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(lambda _t: self._timer.start())
        self.topic_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.district_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.inactive_check.toggled.connect(lambda _on: self.refresh())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_details())
        self.table.activated.connect(lambda _i: self.edit_service())
        self.shortcuts = [shortcut(self, "Ctrl+N", self.new_service),
                          shortcut(self, "Ctrl+E", self.edit_service)]
        self.refresh()

    def refresh(self) -> None:
        self._timer.stop()
        rows = directory.search_services(
            self.ctx.session, self.search_edit.text().strip(),
            topic=self.topic_filter.value() or None,
            district=self.district_filter.value() or None,
            include_inactive=self.inactive_check.isChecked())
        self.model.set_rows(rows)
        self.count_label.setText(ngettext("{n} service", "{n} services", len(rows)).format(
            n=len(rows)))
        if rows:
            self.table.selectRow(0)
        self._show_details()

    def current_service(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row_object(index.row()) if index.isValid() else None

    def _show_details(self) -> None:
        row = self.current_service()
        self.edit_button.setEnabled(row is not None)
        if row is None:
            self.details.clear()
            return
        lines = [row.label, " · ".join(
            p for p in (known(row.address), known(row.phone), known(row.hours)) if p)]
        if known(row.requirements):
            lines.append(_("Bring: {requirements}").format(requirements=row.requirements))
        self.details.setText("\n".join(line for line in lines if line))

    def new_service(self) -> QDialog | None:
        return self._open(None)

    def edit_service(self) -> QDialog | None:
        row = self.current_service()
        return None if row is None else self._open(row.id)

    def _open(self, service_id: str | None) -> QDialog | None:
        from oma_desktop.ui.derivaciones.service_dialog import ServiceDialog

        if self.host.dialog is not None or not self.may_edit:
            return None
        return self.host.open(ServiceDialog(self.ctx, self, service_id), lambda _d: None)


class ReferralsPage(QWidget):
    """The page registered as «Derivaciones» in ``ui/pages.py``."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.host = DialogHost(self)
        self.tabs = QTabWidget()
        self.referrals_tab = ReferralsTab(ctx, self.host)
        self.directory_tab = DirectoryTab(ctx, self.host)
        self.tabs.addTab(self.referrals_tab, _("Referrals"))
        self.tabs.addTab(self.directory_tab, _("Service directory"))
        self.routes_tab = RoutesTab(ctx)
        self.tabs.addTab(self.routes_tab, _("Care routes"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(self.tabs)
        subscribe(self, ctx.session, REFERRAL_ENTITIES,
                  lambda _c: self.referrals_tab.refresh())
        subscribe(self, ctx.session, SERVICE_ENTITIES, lambda _c: self.directory_tab.refresh())

    @property
    def active_dialog(self) -> QDialog | None:
        return self.host.dialog

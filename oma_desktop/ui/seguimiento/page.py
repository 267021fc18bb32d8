"""Seguimiento: the call list — follow-ups due and documents about to expire, most urgent first.

Keyboard (Spanish mnemonics): Alt+T / Alt+P / Alt+3 / Alt+6 choose what to show, Alt+C the
casa (this one by default), Alt+R the staff member (personal), Alt+F the dates (today, this week,
overdue), the arrows move in the list, Enter (or a double-click) opens the person (an
anonymous attention opens the attention, to link it), Alt+M marks the selected item done
with the call's result and a note, Ctrl+Z (or Alt+D) undoes that, Ctrl+P prints the list,
Ctrl+E exports it, F5 reads it again. The list is read again every time the page is shown
and whenever consultations, persons, documents or calls change; it is never longer than
:data:`MAX_ROWS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, ngettext
from oma_desktop.printing.sheets import PrintDocument
from oma_desktop.services.call_sheet import call_list_export, call_list_print
from oma_desktop.services.casas import casa_choices
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import Sheet
from oma_desktop.services.followup import (
    ALL_CASAS,
    DUE_ALL,
    DUE_OVERDUE,
    DUE_TODAY,
    DUE_WEEK,
    FOLLOW_UP_AHEAD_DAYS,
    KIND_REFERRAL,
    RECENTLY_EXPIRED_DAYS,
    CallFilter,
    QueueItem,
    RecordedCall,
    call_list,
    result_label,
    staff_filter_choices,
    undo_call,
)
from oma_desktop.services.session import Session
from oma_desktop.ui.changes import FOLLOW_UP_ENTITIES, subscribe
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.seguimiento.call_dialog import CallDialog
from oma_desktop.ui.seguimiento.model import (
    COL_CALLS,
    COL_DAYS,
    COL_DETAIL,
    COL_DUE,
    COL_KIND,
    COL_PERSON,
    COL_PHONE,
    KIND_DOCUMENT,
    KIND_FOLLOW_UP,
    OVERDUE_COLOR,
    SOON_COLOR,
    SOON_DAYS,
    SORT_ROLE,
    FollowUpModel,
)
from oma_desktop.ui.widgets.person_page import DialogHost, consultation_dialog_class
from oma_desktop.ui.widgets.row_table import RowTable
from oma_desktop.ui.widgets.sheet_export import SheetActions

FILTER_ALL = "all"
FILTER_FOLLOW_UPS = "follow_ups"
FILTER_DOCUMENTS_30 = "documents_30"
FILTER_DOCUMENTS_60 = "documents_60"
FILTERS = (FILTER_ALL, FILTER_FOLLOW_UPS, FILTER_DOCUMENTS_30, FILTER_DOCUMENTS_60)
MAX_ROWS = 1000

KEY_MARK_DONE = "Alt+M"
KEY_UNDO = "Ctrl+Z"
KEY_REFRESH = "F5"


# what the call list shows: people, their documents, consultations and the calls made
CALL_LIST_ENTITIES = FOLLOW_UP_ENTITIES | {"follow_up_call", "app_user", "casa"}


def call_filter(filter_key: str, casa_id: str = "", staff_user_id: str = "",
                due: str = DUE_ALL) -> CallFilter:
    """The service filter for the page's choices."""
    kinds = {KIND_FOLLOW_UP, KIND_DOCUMENT, KIND_REFERRAL}  # referrals waiting for an answer
    if filter_key == FILTER_FOLLOW_UPS:
        kinds = {KIND_FOLLOW_UP}
    elif filter_key in (FILTER_DOCUMENTS_30, FILTER_DOCUMENTS_60):
        kinds = {KIND_DOCUMENT}
    within = 30 if filter_key == FILTER_DOCUMENTS_30 else 60
    return CallFilter(casa_id=casa_id, staff_user_id=staff_user_id, due=due,
                      kinds=frozenset(kinds), within_days=within)


def load_queue(
    session: Session, today: dt.date, filter_key: str, limit: int = MAX_ROWS,
    *, casa_id: str = "", staff_user_id: str = "", due: str = DUE_ALL,
) -> tuple[list[QueueItem], bool]:
    """The rows for the choices, most urgent first, at most ``limit``; and whether more
    exist."""
    return call_list(session, today, call_filter(filter_key, casa_id, staff_user_id, due), limit)


def _swatch(color: str) -> str:
    return (f'<span style="background-color:{color}; border:1px solid #999;">'
            "&nbsp;&nbsp;&nbsp;&nbsp;</span>")


class FollowUpPage(QWidget):
    """The Seguimiento page. ``person_requested(person_id)`` asks to open a person."""

    person_requested = Signal(str)
    refreshed = Signal(int)  # rows shown

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self._filter = FILTER_ALL
        self._truncated = False
        self._casa = ""  # this casa
        self._staff = ""  # everybody
        self._due = DUE_ALL
        self._last_done: RecordedCall | None = None
        self._host = DialogHost(self)
        self.consultation_dialog_factory = consultation_dialog_class

        self.title_label = QLabel(_("Follow-up"))
        self.title_label.setObjectName("pageTitle")
        self.title_label.setFont(scaled(self.font(), 1.6, bold=True))
        self.intro_label = QLabel(_(
            "Follow-ups that are overdue or due in the next {days} days, and CPP, PTP, CE "
            "and CSR documents that expire soon or expired in the last {expired} days."
        ).format(days=FOLLOW_UP_AHEAD_DAYS, expired=RECENTLY_EXPIRED_DAYS))
        self.intro_label.setWordWrap(True)

        self.filter_buttons: dict[str, QRadioButton] = {}
        self.filter_group = QButtonGroup(self)
        filter_row = QHBoxLayout()
        filter_row.setSpacing(8)  # the whole row fits the minimum window (1024 px)
        show_label = QLabel(_("Show:"))
        filter_row.addWidget(show_label)
        texts = {
            FILTER_ALL: _("&All"),
            FILTER_FOLLOW_UPS: _("&Pending follow-ups"),
            FILTER_DOCUMENTS_30: _("Documents that expire within &30 days"),
            FILTER_DOCUMENTS_60: _("Documents that expire within &60 days"),
        }
        for key in FILTERS:
            button = QRadioButton(texts[key])
            button.setObjectName(f"filter_{key}")
            self.filter_buttons[key] = button
            self.filter_group.addButton(button)
            filter_row.addWidget(button)
            button.toggled.connect(lambda checked, k=key: self._filter_toggled(k, checked))
        filter_row.addStretch(1)
        self.filter_buttons[FILTER_ALL].setChecked(True)

        self.casa_combo = QComboBox()
        self.casa_combo.setObjectName("casaFilter")
        self.casa_combo.setAccessibleName(_("Casa"))
        self.staff_combo = QComboBox()
        self.staff_combo.setObjectName("staffFilter")
        self.staff_combo.setAccessibleName(_("Staff member"))
        self.staff_combo.setToolTip(_("Follow-ups of the attentions this staff member gave "
                                      "(documents have no staff member and are left out)."))
        self.due_combo = QComboBox()
        self.due_combo.setObjectName("dueFilter")
        self.due_combo.setAccessibleName(_("Dates"))
        for key, text in ((DUE_ALL, _("Overdue and next days")),
                          (DUE_TODAY, _("For today (and overdue)")),
                          (DUE_WEEK, _("This week (and overdue)")),
                          (DUE_OVERDUE, _("Only overdue"))):
            self.due_combo.addItem(text, key)
        self._fill_choices()
        self.casa_combo.currentIndexChanged.connect(self._choices_changed)
        self.staff_combo.currentIndexChanged.connect(self._choices_changed)
        self.due_combo.currentIndexChanged.connect(self._choices_changed)
        choice_row = QHBoxLayout()
        choice_row.setSpacing(8)
        for caption, combo in ((_("&Casa:"), self.casa_combo), (_("Staf&f:"), self.staff_combo),
                               (_("Dat&es:"), self.due_combo)):
            label = QLabel(caption)
            label.setBuddy(combo)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            choice_row.addWidget(label)
            choice_row.addWidget(combo)
            choice_row.addSpacing(12)
        choice_row.addStretch(1)

        self.model = FollowUpModel(ctx.catalogs, self)
        subscribe(self, ctx.session, CALL_LIST_ENTITIES, self._records_changed)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = RowTable("followUpTable", _("Pending follow-ups and documents"),
                              row_padding=12)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_DUE, Qt.SortOrder.AscendingOrder)
        self._set_column_widths()
        self.table.chosen.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())

        overdue_text = _("overdue or expired")
        soon_text = _("due within {days} days").format(days=SOON_DAYS)
        self.legend_label = QLabel(
            f"{_swatch(OVERDUE_COLOR.name())} {overdue_text}&nbsp;&nbsp;&nbsp; "
            f"{_swatch(SOON_COLOR.name())} {soon_text}"
        )
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setAccessibleName(
            _("Colours: red, overdue or expired; amber, due within {days} days.").format(days=SOON_DAYS))

        self.open_button = QPushButton(_("&Open person"))
        self.open_button.setObjectName("openPerson")
        self.open_button.setToolTip(_("Open the selected person (Enter)"))
        self.open_button.clicked.connect(self.open_current)
        self.done_button = QPushButton(_("&Mark as done…"))
        self.done_button.setObjectName("markDone")
        self.done_button.setToolTip(_("Record the result of the call and a note; "
                                      "“No answer” keeps the item on the list."))
        self.done_button.clicked.connect(self.mark_done)
        self.undo_button = QPushButton(_("&Undo"))
        self.undo_button.setObjectName("undoDone")
        self.undo_button.setToolTip(_("Take back the last call recorded (Ctrl+Z)"))
        self.undo_button.clicked.connect(self.undo_done)
        self.undo_button.setVisible(False)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setObjectName("refresh")
        self.refresh_button.setToolTip(_("Read the list again (F5)"))
        self.refresh_button.clicked.connect(self.refresh)
        self.sheet_actions = SheetActions(self, ctx, self._build_sheet, self._file_name)
        self.sheet_actions.done.connect(self._file_written)
        for sequence, slot in ((KEY_UNDO, self._undo_shortcut), (KEY_REFRESH, self.refresh)):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.count_label = QLabel()
        self.count_label.setObjectName("followUpCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label = QLabel()
        self.status_label.setObjectName("followUpStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setStyleSheet("color: #1b5e20;")

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.done_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.sheet_actions.print_button)
        buttons.addWidget(self.sheet_actions.export_button)
        buttons.addWidget(self.refresh_button)

        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.legend_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(self.title_label)
        layout.addWidget(self.intro_label)
        layout.addLayout(filter_row)
        layout.addLayout(choice_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.setAccessibleName(_("Follow-up"))
        self._update_buttons()
        # messages and buttons that come and go never change the window's size limits
        for label in (self.count_label, self.status_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.ensurePolished()
        layout.activate()
        self.setMinimumSize(self.minimumSizeHint())

    def _set_column_widths(self) -> None:
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        metrics = QFontMetrics(self.table.font())
        widths = {
            COL_DUE: metrics.horizontalAdvance("00/00/00000") + 24,
            COL_DAYS: metrics.horizontalAdvance(
                ngettext("{n} day ago", "{n} days ago", 100).format(n=100)) + 24,
            COL_KIND: max(metrics.horizontalAdvance(text) for text in (
                _("Follow-up"), _("Overdue referral"), _("Referral awaiting outcome"),
                _("Expired document"), _("Document about to expire"))) + 24,
            COL_PERSON: 240,
            COL_PHONE: metrics.horizontalAdvance("+51 999 999 999") + 16,
            COL_CALLS: metrics.horizontalAdvance(result_label("numero_equivocado")) + 24,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(COL_DETAIL, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)

    # --- data -----------------------------------------------------------------------

    @property
    def filter_key(self) -> str:
        return self._filter

    def _filter_toggled(self, key: str, checked: bool) -> None:
        if checked:
            self.set_filter(key)

    def set_filter(self, key: str) -> None:
        if key not in FILTERS:
            raise ValueError(key)
        if not self.filter_buttons[key].isChecked():
            self.filter_buttons[key].setChecked(True)  # calls back here
            return
        if key != self._filter:
            self._filter = key
            self.refresh()

    def refresh(self) -> None:
        """Read the queue again, keeping the selected row when it is still there."""
        keep = self.current_item()
        row = self.table.currentIndex().row()
        today = self._today()
        items, self._truncated = load_queue(self.ctx.session, today, self._filter,
                                            casa_id=self._casa, staff_user_id=self._staff,
                                            due=self._due)
        self.model.set_items(items, today)
        self._select(keep.ref_id if keep else None, row)
        self._update_count()
        self._update_buttons()
        self.refreshed.emit(len(items))

    def _select(self, ref_id: str | None, fallback_row: int) -> None:
        rows = self.proxy.rowCount()
        if rows == 0:
            return
        source_row = self.model.row_of(ref_id) if ref_id else -1
        if source_row >= 0:
            row = self.proxy.mapFromSource(self.model.index(source_row, 0)).row()
        else:
            row = min(max(fallback_row, 0), rows - 1)
        self.select_row(row)

    def select_row(self, row: int) -> None:
        """Make view row ``row`` current and selected."""
        index = self.proxy.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    def current_item(self) -> QueueItem | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.item(self.proxy.mapToSource(index).row())

    def _update_count(self) -> None:
        items = self.model.items()
        today = self.model.today
        follow_ups = [i for i in items if i.kind == KIND_FOLLOW_UP]
        documents = [i for i in items if i.kind == KIND_DOCUMENT]
        parts = []
        if self._filter in (FILTER_ALL, FILTER_FOLLOW_UPS):
            n = len(follow_ups)
            text = ngettext("{n} follow-up", "{n} follow-ups", n).format(n=n)
            late = sum(1 for i in follow_ups if i.days_left(today) < 0)
            if late:
                text += " " + ngettext("({n} overdue)", "({n} overdue)", late).format(n=late)
            parts.append(text)
        referrals = sum(1 for i in items if i.kind == KIND_REFERRAL)
        if referrals:
            parts.append(_("referrals waiting for an answer: {n}").format(n=referrals))
        if self._filter != FILTER_FOLLOW_UPS:
            n = len(documents)
            text = ngettext("{n} document about to expire", "{n} documents about to expire",
                            n).format(n=n)
            expired = sum(1 for i in documents if i.days_left(today) < 0)
            if expired:
                text += " " + ngettext("({n} already expired)", "({n} already expired)",
                                       expired).format(n=expired)
            parts.append(text)
        text = " · ".join(parts)
        if not items:
            text = _("Nothing pending for this filter.")
        if self._truncated:
            text += " " + _("Only the first {n} are shown.").format(n=len(items))
        self.count_label.setText(text)
        self.count_label.setAccessibleName(text)

    def _update_buttons(self) -> None:
        item = self.current_item()
        self.open_button.setEnabled(item is not None)
        self.done_button.setEnabled(item is not None)

    # --- actions ----------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            item = self.model.item(self.proxy.mapToSource(index).row())
            if item is not None and item.anonymous:
                self.open_attention(item.ref_id)
            elif item is not None:
                self.person_requested.emit(item.person_id)

    def open_current(self) -> None:
        self._open_index(self.table.currentIndex())

    def mark_done(self) -> QDialog | None:
        """Alt+M: ask the result of the call and a note, then record it."""
        item = self.current_item()
        if item is None or self._host.dialog is not None:
            return None
        return self._host.open(CallDialog(self.ctx, item, self), self._call_recorded)

    def _call_recorded(self, dialog: QDialog) -> None:
        recorded = getattr(dialog, "recorded", None)
        if not isinstance(recorded, RecordedCall):
            return
        self._last_done = recorded
        self.refresh()
        self.status_label.setText(_("Call to {name} recorded: {result}.").format(
            name=recorded.item.person_name, result=result_label(recorded.result)))
        self.undo_button.setVisible(True)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def undo_done(self) -> bool:
        """Take back the last call recorded: the item is as it was."""
        if self._last_done is None:
            return False
        recorded, self._last_done = self._last_done, None
        undo_call(self.ctx.session, recorded)
        self.undo_button.setVisible(False)
        self.refresh()
        row = self.model.row_of(recorded.item.ref_id)
        if row >= 0:
            self.select_row(self.proxy.mapFromSource(self.model.index(row, 0)).row())
        self.status_label.setText(_("The call to {name} was taken back.").format(
            name=recorded.item.person_name))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    @property
    def active_dialog(self) -> QDialog | None:
        return self._host.dialog

    def open_attention(self, consultation_id: str) -> QDialog | None:
        """An anonymous attention: open it, to read it or link it to a person."""
        if self._host.dialog is not None:
            return None
        dialog = self.consultation_dialog_factory()(self.ctx, self, consultation_id=consultation_id)
        return self._host.open(dialog, lambda _d: None)

    # --- choices, printing, exporting -------------------------------------------------

    def _fill_choices(self) -> None:
        """The casas and staff members to choose from (kept when read again)."""
        session = self.ctx.session
        for combo in (self.casa_combo, self.staff_combo):
            combo.blockSignals(True)
        self.casa_combo.clear()
        names = dict(casa_choices(session))
        self.casa_combo.addItem(_("This casa ({name})").format(
            name=names.get(session.casa_id, session.casa_id)), "")
        self.casa_combo.addItem(_("All casas"), ALL_CASAS)
        for code, name in names.items():
            if code != session.casa_id:
                self.casa_combo.addItem(name, code)
        self.casa_combo.setCurrentIndex(max(self.casa_combo.findData(self._casa), 0))
        self.staff_combo.clear()
        self.staff_combo.addItem(_("Everybody"), "")
        for user_id, name in staff_filter_choices(session):
            self.staff_combo.addItem(name, user_id)
        self.staff_combo.setCurrentIndex(max(self.staff_combo.findData(self._staff), 0))
        for combo in (self.casa_combo, self.staff_combo):
            combo.blockSignals(False)
        # a casa or account that is gone falls back to "this casa" / "everybody"
        self._casa = str(self.casa_combo.currentData() or "")
        self._staff = str(self.staff_combo.currentData() or "")

    def _choices_changed(self, *_args: object) -> None:
        self._casa = str(self.casa_combo.currentData() or "")
        self._staff = str(self.staff_combo.currentData() or "")
        self._due = str(self.due_combo.currentData() or DUE_ALL)
        self.refresh()

    def set_choices(self, casa_id: str | None = None, staff_user_id: str | None = None,
                    due: str | None = None) -> None:
        """Choose casa, staff member and dates as the combos would (for other screens)."""
        for combo, value in ((self.casa_combo, casa_id), (self.staff_combo, staff_user_id),
                             (self.due_combo, due)):
            if value is not None:
                combo.setCurrentIndex(combo.findData(value))

    def _records_changed(self, changed: frozenset[str]) -> None:
        if changed & {"app_user", "casa"}:
            self._fill_choices()
        self.refresh()

    def _build_sheet(self) -> Callable[[Session], tuple[list[Sheet], PrintDocument]]:
        """What to print or export: the list as the page shows it, read on the job's session."""
        today = self._today()
        flt = call_filter(self._filter, self._casa, self._staff, self._due)

        def build(session: Session) -> tuple[list[Sheet], PrintDocument]:
            items = call_list(session, today, flt, MAX_ROWS)[0]
            return (call_list_export(session, items, today, flt),
                    call_list_print(session, items, today, flt))

        return build

    def _file_name(self) -> str:
        return f"lista-de-llamadas-{self.ctx.session.casa_id}-{self._today().isoformat()}"

    def _file_written(self, path: str) -> None:
        self.status_label.setText(_("Saved in {path}").format(path=path))

    def _undo_shortcut(self) -> None:
        self.undo_done()

    # --- showing --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.status_label.clear()
            self.undo_button.setVisible(False)
            self._last_done = None
            self.refresh()
            QTimer.singleShot(0, self._focus_if_nothing_focused)

    def _focus_if_nothing_focused(self) -> None:
        """The list takes the focus whenever the page is shown (Qt would hand it to the
        first filter when the previous page's focused widget was hidden)."""
        if self.isVisible():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.proxy.rowCount():
            self.select_row(0)

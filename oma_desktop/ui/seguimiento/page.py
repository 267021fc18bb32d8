"""Seguimiento: what the office should act on — follow-ups due and documents about to expire.

Keyboard (Spanish mnemonics): Alt+T / Alt+P / Alt+3 / Alt+6 choose the filter, the arrows
move in the list, Enter (or a double-click) opens the person, Alt+M marks the selected
follow-up as done, Ctrl+Z (or Alt+D) undoes that, F5 reads the list again. The list is
read again every time the page is shown; it is never longer than :data:`MAX_ROWS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, ngettext
from oma_desktop.services.consultations import set_follow_up_done
from oma_desktop.services.context import AppContext
from oma_desktop.services.followup import (
    FOLLOW_UP_AHEAD_DAYS,
    RECENTLY_EXPIRED_DAYS,
    QueueItem,
    expiring_documents,
    follow_ups_due,
)
from oma_desktop.services.session import Session
from oma_desktop.ui.changes import FOLLOW_UP_ENTITIES, subscribe
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.seguimiento.model import (
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

FILTER_ALL = "all"
FILTER_FOLLOW_UPS = "follow_ups"
FILTER_DOCUMENTS_30 = "documents_30"
FILTER_DOCUMENTS_60 = "documents_60"
FILTERS = (FILTER_ALL, FILTER_FOLLOW_UPS, FILTER_DOCUMENTS_30, FILTER_DOCUMENTS_60)
MAX_ROWS = 1000

KEY_MARK_DONE = "Alt+M"
KEY_UNDO = "Ctrl+Z"
KEY_REFRESH = "F5"


def load_queue(
    session: Session, today: dt.date, filter_key: str, limit: int = MAX_ROWS
) -> tuple[list[QueueItem], bool]:
    """The rows for ``filter_key``, soonest first, at most ``limit``; and whether more exist."""
    items: list[QueueItem] = []
    if filter_key in (FILTER_ALL, FILTER_FOLLOW_UPS):
        items += follow_ups_due(session, today, limit=limit + 1)
    if filter_key != FILTER_FOLLOW_UPS:
        within = 30 if filter_key == FILTER_DOCUMENTS_30 else 60
        items += expiring_documents(session, today, within, limit=limit + 1)
    items.sort(key=lambda i: (i.due, i.kind, i.person_name))
    return items[:limit], len(items) > limit


class QueueTable(QTableView):
    """Enter opens the selected row (QTableView alone would start editing or do nothing)."""

    chosen = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
        ):
            index = self.currentIndex()
            if index.isValid():
                self.chosen.emit(index)
            event.accept()
            return
        super().keyPressEvent(event)


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
        self._last_done: tuple[str, str] | None = None  # (consultation id, person name)

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
        filter_row.setSpacing(16)
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

        self.model = FollowUpModel(ctx.catalogs, self)
        subscribe(self, ctx.session, FOLLOW_UP_ENTITIES, lambda _changed: self.refresh())
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QueueTable()
        self.table.setObjectName("followUpTable")
        self.table.setAccessibleName(_("Pending follow-ups and documents"))
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(
            QFontMetrics(self.table.font()).height() + 12)
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
        self.done_button = QPushButton(_("&Mark follow-up as done"))
        self.done_button.setObjectName("markDone")
        self.done_button.setToolTip(_("The call or visit was made; the follow-up leaves the list."))
        self.done_button.clicked.connect(self.mark_done)
        self.undo_button = QPushButton(_("&Undo"))
        self.undo_button.setObjectName("undoDone")
        self.undo_button.setToolTip(_("Put the last follow-up marked as done back on the list (Ctrl+Z)"))
        self.undo_button.clicked.connect(self.undo_done)
        self.undo_button.setVisible(False)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setObjectName("refresh")
        self.refresh_button.setToolTip(_("Read the list again (F5)"))
        self.refresh_button.clicked.connect(self.refresh)
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
        buttons.addWidget(self.refresh_button)

        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.legend_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 12)
        layout.setSpacing(10)
        layout.addWidget(self.title_label)
        layout.addWidget(self.intro_label)
        layout.addLayout(filter_row)
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
            COL_KIND: metrics.horizontalAdvance(_("Document about to expire")) + 24,
            COL_PERSON: 260,
            COL_PHONE: metrics.horizontalAdvance("+51 999 999 999") + 16,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(COL_DETAIL, QHeaderView.ResizeMode.Stretch)

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
        items, self._truncated = load_queue(self.ctx.session, today, self._filter)
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
        self.done_button.setEnabled(item is not None and item.kind == KIND_FOLLOW_UP)

    # --- actions ----------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            item = self.model.item(self.proxy.mapToSource(index).row())
            if item is not None:
                self.person_requested.emit(item.person_id)

    def open_current(self) -> None:
        self._open_index(self.table.currentIndex())

    def mark_done(self) -> bool:
        """Mark the selected follow-up as done and take it off the list."""
        item = self.current_item()
        if item is None or item.kind != KIND_FOLLOW_UP:
            return False
        set_follow_up_done(self.ctx.session, item.ref_id, True)
        self._last_done = (item.ref_id, item.person_name)
        self.refresh()
        self.status_label.setText(
            _("Follow-up of {name} marked as done.").format(name=item.person_name))
        self.undo_button.setVisible(True)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def undo_done(self) -> bool:
        """Put the follow-up last marked as done back on the list."""
        if self._last_done is None:
            return False
        ref_id, name = self._last_done
        set_follow_up_done(self.ctx.session, ref_id, False)
        self._last_done = None
        self.undo_button.setVisible(False)
        self.refresh()
        row = self.model.row_of(ref_id)
        if row >= 0:
            self.select_row(self.proxy.mapFromSource(self.model.index(row, 0)).row())
        self.status_label.setText(_("Follow-up of {name} is pending again.").format(name=name))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

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
        focus = self.focusWidget()
        if focus is None or not focus.isVisible() or not self.isAncestorOf(focus):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.proxy.rowCount():
            self.select_row(0)

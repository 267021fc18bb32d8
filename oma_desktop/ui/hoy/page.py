"""Hoy: the attentions given today at this casa, with counts by topic and by staff member.

Keyboard: the list has the focus; the arrows move, Enter (or a double-click) reopens the
attention (an anonymous one can then be linked to a person), Ctrl+P prints the day's
sheet (PDF), Ctrl+E exports it (Excel or CSV), Alt+D chooses another day, F5 reads the
list again. The page refreshes itself when consultations or persons change anywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, date_pattern
from oma_desktop.printing.sheets import PrintDocument
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import Sheet
from oma_desktop.services.session import Session
from oma_desktop.services.today import (
    DayRow,
    DaySheet,
    day_export,
    day_print,
    day_sheet,
    day_totals_text,
)
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.hoy.model import (
    COL_CHANNEL,
    COL_FOLLOW_UP,
    COL_PERSON,
    COL_STAFF,
    COL_TIME,
    COL_TOPICS,
    CountModel,
    DayModel,
)
from oma_desktop.ui.widgets.person_page import DialogHost, consultation_dialog_class
from oma_desktop.ui.widgets.sheet_export import SheetActions

# what the day's sheet shows: the attentions, the people's names, the staff's names
TODAY_ENTITIES = frozenset({"consultation", "person", "app_user", "casa"})
KEY_REFRESH = "F5"
COUNTS_WIDTH = 330
COUNTS_MIN_WIDTH = 250


class EnterTable(QTableView):
    """Enter reopens the current row (a bare QTableView would do nothing).

    ``shares`` (column -> weight) splits the width left by the other columns among those
    columns whenever the view is resized, so nothing is cut down to the smallest window.
    """

    chosen = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shares: dict[int, int] = {}

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.share_width()

    def share_width(self) -> None:
        if not self.shares or self.model() is None:
            return
        others = sum(self.columnWidth(c) for c in range(self.model().columnCount())
                     if c not in self.shares)
        free = max(self.viewport().width() - others, 0)
        total = sum(self.shares.values())
        for column, weight in self.shares.items():
            self.setColumnWidth(column, free * weight // total)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
        ):
            if self.currentIndex().isValid():
                self.chosen.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class _CountsPane(QWidget):
    """A third of the page, between :data:`COUNTS_MIN_WIDTH` and :data:`COUNTS_WIDTH`, so
    the list keeps the room on a small screen."""

    def sizeHint(self) -> QSize:
        page = self.parentWidget()
        wanted = page.width() * 3 // 10 if page is not None else COUNTS_WIDTH
        return QSize(min(max(wanted, COUNTS_MIN_WIDTH), COUNTS_WIDTH), super().sizeHint().height())


def _table(name: str, accessible: str) -> EnterTable:
    table = EnterTable()
    table.setObjectName(name)
    table.setAccessibleName(accessible)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(QFontMetrics(table.font()).height() + 10)
    table.horizontalHeader().setHighlightSections(False)
    return table


class TodayPage(QWidget):
    """The Hoy page. ``person_requested(person_id)`` asks the window to open a person."""

    person_requested = Signal(str)
    refreshed = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self._day = today()
        self.sheet: DaySheet | None = None
        self._host = DialogHost(self)
        self.consultation_dialog_factory = consultation_dialog_class

        self.title_label = QLabel(_("Today"))
        self.title_label.setObjectName("pageTitle")
        self.title_label.setFont(scaled(self.font(), 1.6, bold=True))
        title_metrics = QFontMetrics(self.title_label.font())
        self.title_label.setMinimumWidth(  # its text changes; the page's size limits never do
            max(title_metrics.horizontalAdvance(t) for t in (_("Today"), _("Day sheet"))) + 4)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.casa_label = QLabel()
        self.casa_label.setObjectName("todayCasa")
        self.casa_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.day_edit = QDateEdit()
        self.day_edit.setObjectName("todayDay")
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat(date_pattern())  # month first in English, as lists show
        self.day_edit.setAccessibleName(_("Day shown"))
        self.day_edit.setDate(QDate(self._day.year, self._day.month, self._day.day))
        self.day_edit.dateChanged.connect(self._day_changed)
        day_caption = QLabel(_("&Day:"))
        day_caption.setBuddy(self.day_edit)
        self.today_button = QPushButton(_("Back to today"))
        self.today_button.setAutoDefault(False)
        self.today_button.clicked.connect(self.show_today)
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addSpacing(16)
        header.addWidget(self.casa_label, 1)
        header.addWidget(day_caption)
        header.addWidget(self.day_edit)
        header.addWidget(self.today_button)

        self.model = DayModel(self)
        self.table = _table("todayTable", _("Attentions of the day"))
        self.table.setModel(self.model)
        # long topic lists wrap onto a second line instead of being cut (a day has few rows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.chosen.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        self._set_column_widths()

        self.topic_model = CountModel("Topic", self)
        self.staff_model = CountModel("Staff member", self)
        self.topic_table = _table("todayByTopic", _("Attentions by topic"))
        self.staff_table = _table("todayByStaff", _("Attentions by staff member"))
        counts = _CountsPane()
        counts.setMinimumWidth(COUNTS_MIN_WIDTH)
        counts.setMaximumWidth(COUNTS_WIDTH)
        counts_layout = QVBoxLayout(counts)
        counts_layout.setContentsMargins(12, 0, 0, 0)
        for caption, table, model, stretch in (
            (_("By topic"), self.topic_table, self.topic_model, 3),
            (_("By staff member"), self.staff_table, self.staff_model, 1),
        ):
            table.setModel(model)
            table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            table.horizontalHeader().setSectionResizeMode(
                1, QHeaderView.ResizeMode.ResizeToContents)
            label = QLabel(caption)
            label.setFont(scaled(self.font(), 1.05, bold=True))
            counts_layout.addWidget(label)
            counts_layout.addWidget(table, stretch)

        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(counts)

        self.count_label = QLabel()
        self.count_label.setObjectName("todayCount")
        self.status_label = QLabel()
        self.status_label.setObjectName("todayStatus")
        self.status_label.setStyleSheet("color: #1b5e20;")
        for label in (self.count_label, self.status_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.open_button = QPushButton(_("&Open attention"))
        self.open_button.setObjectName("openAttention")
        self.open_button.setToolTip(_("Reopen the selected attention to complete it or link it "
                                      "to a person (Enter)"))
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self.open_current)
        self.sheet_actions = SheetActions(self, ctx, self._build_sheet, self._file_name)
        self.sheet_actions.done.connect(self._file_written)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setToolTip(_("Read the list again (F5)"))
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        refresh = QShortcut(QKeySequence(KEY_REFRESH), self)
        refresh.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh.activated.connect(self.refresh)

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.sheet_actions.print_button)
        buttons.addWidget(self.sheet_actions.export_button)
        buttons.addWidget(self.refresh_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 12)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        layout.addWidget(self.count_label)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.setAccessibleName(_("Today"))
        subscribe(self, ctx.session, TODAY_ENTITIES, lambda _changed: self.refresh())
        self._update_buttons()
        layout.activate()
        self.setMinimumSize(self.minimumSizeHint())

    def _set_column_widths(self) -> None:
        """Time, channel and follow-up keep their width; person, topics and staff share the
        rest (and wrap), so nothing is cut down to the smallest window."""
        header = self.table.horizontalHeader()
        metrics = QFontMetrics(self.table.font())
        widths = {
            COL_TIME: metrics.horizontalAdvance("00:00") + 24,
            COL_CHANNEL: metrics.horizontalAdvance(_("Telephone")) + 24,
            COL_FOLLOW_UP: max(metrics.horizontalAdvance("00/00/00000"),
                               metrics.horizontalAdvance(_("Follow-up"))) + 24,
        }
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, width)
        self.table.shares = {COL_PERSON: 3, COL_TOPICS: 4, COL_STAFF: 2}
        for column in self.table.shares:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)

    # --- data -----------------------------------------------------------------------

    @property
    def day(self) -> dt.date:
        return self._day

    def set_day(self, day: dt.date) -> None:
        self.day_edit.setDate(QDate(day.year, day.month, day.day))  # calls back

    def show_today(self) -> None:
        self.set_day(self._today())
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _day_changed(self, date: QDate) -> None:
        self._day = dt.date(date.year(), date.month(), date.day())
        self.refresh()

    def refresh(self) -> None:
        """Read the day again, keeping the selected attention when it is still there."""
        keep = self.current_row()
        self.sheet = sheet = day_sheet(self.ctx.session, self._day)
        self.model.set_rows(sheet.rows)
        self.topic_model.set_rows(sheet.by_topic)
        self.staff_model.set_rows(sheet.by_staff)
        self.casa_label.setText(sheet.casa_name)
        is_today = self._day == self._today()
        self.title_label.setText(_("Today") if is_today else _("Day sheet"))
        self.today_button.setEnabled(not is_today)
        text = day_totals_text(sheet) if sheet.rows else _("No attentions recorded this day.")
        self.count_label.setText(text)
        self.count_label.setAccessibleName(text)
        row = self.model.row_of(keep.consultation_id) if keep else -1
        if self.model.rowCount():
            self.select_row(row if row >= 0 else self.model.rowCount() - 1)
        self._update_buttons()
        self.refreshed.emit(len(sheet.rows))

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    def current_row(self) -> DayRow | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.current_row() is not None)

    # --- actions ----------------------------------------------------------------------

    @property
    def active_dialog(self) -> QDialog | None:
        return self._host.dialog

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.row(index.row()) if index.isValid() else None
        if row is not None:
            self.open_attention(row.consultation_id)

    def open_current(self) -> QDialog | None:
        row = self.current_row()
        return self.open_attention(row.consultation_id) if row is not None else None

    def open_attention(self, consultation_id: str) -> QDialog | None:
        """Reopen an attention (to complete it, or link a walk-in to a person)."""
        if self._host.dialog is not None:
            return None
        dialog = self.consultation_dialog_factory()(self.ctx, self, consultation_id=consultation_id)
        return self._host.open(dialog, self._saved)

    def _saved(self, _dialog: QDialog) -> None:
        self.status_label.setText(_("Consultation saved."))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _build_sheet(self) -> Callable[[Session], tuple[list[Sheet], PrintDocument]]:
        """What to print or export, read again on the job's own session (plain data in)."""
        day = self._day

        def build(session: Session) -> tuple[list[Sheet], PrintDocument]:
            sheet = day_sheet(session, day)
            return day_export(sheet), day_print(sheet)

        return build

    def _file_name(self) -> str:
        return f"hoja-del-dia-{self.ctx.session.casa_id}-{self._day.isoformat()}"

    def _file_written(self, path: str) -> None:
        self.status_label.setText(_("Saved in {path}").format(path=path))

    # --- showing --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.status_label.clear()
            self.refresh()
            QTimer.singleShot(0, self._focus_table)

    def _focus_table(self) -> None:
        """The list takes the focus whenever the page is shown (Qt would hand it to the
        first field, the day, when the previous page's focused widget was hidden)."""
        if self.isVisible():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

"""«Mapeo y seguimiento»: the persons of the filter by district and zone of residence with
their follow-up state (``services/population.py``), on the Mapa page beside the map.

The filters of the page's filter bar apply; a district can be chosen here (or from the map:
«Ver las personas de este distrito»). The table sorts by any column (click its header);
Enter or a double-click opens the person. «Exportar…» (Ctrl+E) saves the list as Excel or
CSV for a role that may export personal data (others do not see the button, and the service
refuses them anyway). The list is read off the GUI thread whenever the filters change and
the tab is shown, and when persons, consultations, referrals or calls change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import N_, _, format_date, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.mapping import zone_order, zones_of
from oma_desktop.services.permissions import Permission
from oma_desktop.services.population import (
    STATE_NONE,
    STATE_OVERDUE,
    STATE_REFERRAL,
    STATE_SCHEDULED,
    FollowupRow,
    export_followup,
    followup_rows,
    state_counts,
    state_rank,
)
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.session import Session
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.models.table_model import Index, RowsTableModel
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job
from oma_desktop.ui.widgets import sheet_export
from oma_desktop.ui.widgets.row_table import RowTable

(COL_NAME, COL_PHONE, COL_DISTRICT, COL_ZONE, COL_STATE, COL_NEXT, COL_REASON,
 COL_REFERRALS, COL_CALL, COL_LAST, COL_ATTENTIONS, COL_SECTOR, COL_VULNERABILITY) = range(13)
HEADERS = (N_("Person"), N_("Phone"), N_("District"), N_("Zone"), N_("State"),
           N_("Next follow-up"), N_("Follow-up reason"), N_("Open referrals"), N_("Last call"),
           N_("Last attention"), N_("Attentions"), N_("Sector or area"), N_("Vulnerability"))
WIDTHS = (210, 85, 145, 85, 170, 140, 170, 135, 180, 115, 85, 120, 140)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
OVERDUE_COLOR = QColor("#fbe3e1")  # as the Seguimiento list
SCHEDULED_COLOR = QColor("#fff2cc")
NO_DATE = 10**7  # sorts dates that are missing after every real one


class FollowupModel(RowsTableModel):
    """Read-only rows of :class:`FollowupRow`."""

    headers = HEADERS

    def person_row(self, row: int) -> FollowupRow | None:
        found: FollowupRow | None = self.row_object(row)
        return found

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.person_row(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_REASON, COL_CALL,
                                                              COL_VULNERABILITY, COL_SECTOR):
            return self.text(row, column) or None
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.state == STATE_OVERDUE:
                return QBrush(OVERDUE_COLOR)
            if row.state == STATE_SCHEDULED:
                return QBrush(SCHEDULED_COLOR)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and row.state in (STATE_OVERDUE,
                                                                    STATE_SCHEDULED):
            return QBrush(QColor("#1f1f1f"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_ATTENTIONS,
                                                                    COL_REFERRALS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == PERSON_ID_ROLE:
            return row.person_id
        if role == STATE_ROLE:
            return row.state
        return None

    @staticmethod
    def text(row: FollowupRow, column: int) -> str:
        if column == COL_NAME:
            return row.name
        if column == COL_PHONE:
            return row.phone
        if column == COL_DISTRICT:
            return row.district or _("No district")
        if column == COL_ZONE:
            return row.zone or _("No zone")
        if column == COL_SECTOR:
            return row.sector
        if column == COL_ATTENTIONS:
            return str(row.attentions)
        if column == COL_LAST:
            return format_date(row.last_attention) if row.last_attention else ""
        if column == COL_NEXT:
            return format_date(row.next_follow_up) if row.next_follow_up else ""
        if column == COL_REASON:
            return row.follow_up_reason
        if column == COL_REFERRALS:
            return str(row.open_referrals) if row.open_referrals else ""
        if column == COL_CALL:
            return row.last_call
        if column == COL_STATE:
            return row.state_text
        if column == COL_VULNERABILITY:
            return row.vulnerability
        return ""

    @staticmethod
    def sort_key(row: FollowupRow, column: int) -> Any:
        if column == COL_ATTENTIONS:
            return row.attentions
        if column == COL_REFERRALS:
            return row.open_referrals
        if column in (COL_LAST, COL_NEXT):
            day = row.last_attention if column == COL_LAST else row.next_follow_up
            return day.toordinal() if day else NO_DATE
        if column == COL_STATE:
            return state_rank(row.state)
        return FollowupModel.text(row, column).casefold()


class FollowupProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; ``pending_only`` hides the persons with nothing pending."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pending_only = False
        self.setSortRole(SORT_ROLE)

    def set_pending_only(self, on: bool) -> None:
        self.beginFilterChange()
        self.pending_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self.pending_only:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return bool(index.data(STATE_ROLE) != STATE_NONE)


class FollowupTab(QWidget):
    """``person_requested(person_id)``: open a person; ``loaded(rows)``: the list was read;
    ``exported(path)``: a file was written."""

    person_requested = Signal(str)
    loaded = Signal(int)
    exported = Signal(str)

    def __init__(self, ctx: AppContext, filter_source: Callable[[], ReportFilter],
                 today: Callable[[], dt.date] = dt.date.today,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._filter_source = filter_source
        self._today = today
        self._request = 0
        self._stale = True
        self.handle: TaskHandle[Any] | None = None
        self.export_handle: TaskHandle[Path] | None = None
        self._zone_of = zones_of(ctx.session)
        names = {d.ubigeo: d.name for d in ctx.catalogs.districts}
        order = {zone: i for i, zone in enumerate(zone_order(ctx.session))}
        self._districts = sorted(names.items(), key=lambda item: (
            order.get(self._zone_of.get(item[0], ""), len(order)), item[1]))

        self.district_combo = QComboBox()
        self.district_combo.setAccessibleName(_("District"))
        self.district_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.district_combo.setMinimumContentsLength(26)
        self._fill_districts(None)
        self.district_combo.currentIndexChanged.connect(lambda _i: self.reload())
        district_label = QLabel(_("&District:"))
        district_label.setBuddy(self.district_combo)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("followupSummary")
        self.summary_label.setWordWrap(True)
        self.export_button = QPushButton(_("Export… ({key})").format(key="Ctrl+E"))
        self.export_button.setObjectName("exportFollowup")
        self.export_button.setToolTip(_("Save this list as an Excel or CSV file (Ctrl+E)."))
        self.export_button.setShortcut("Ctrl+E")
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(lambda: self.export())
        # a role that may not export personal data does not see it (the service refuses too)
        self.export_button.setVisible(ctx.session.can(Permission.EXPORT_PERSONAL))

        self.pending_check = QCheckBox(_("&Only with something pending"))
        self.pending_check.setToolTip(_("Only the persons with a follow-up overdue or "
                                        "scheduled, or a referral awaiting its outcome."))

        top = QHBoxLayout()
        top.addWidget(district_label)
        top.addWidget(self.district_combo)
        top.addSpacing(12)
        top.addWidget(self.pending_check)
        top.addStretch(1)
        top.addWidget(self.export_button)

        self.model = FollowupModel(self)
        self.proxy = FollowupProxy(self)
        self.proxy.setSourceModel(self.model)
        self.pending_check.toggled.connect(self.proxy.set_pending_only)
        self.table = RowTable("followupTable", _("Persons and their follow-up"))
        self.table.setModel(self.proxy)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order
        self.table.doubleClicked.connect(self._open)
        self.table.chosen.connect(self._open)

        swatches = "&nbsp;&nbsp;".join(
            f'<span style="background-color:{color.name()}; border:1px solid #999;">'
            f"&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{text}"
            for color, text in ((OVERDUE_COLOR, _("Follow-up overdue")),
                                (SCHEDULED_COLOR, _("Follow-up scheduled"))))
        self.hint_label = QLabel(swatches + "&nbsp;&nbsp;·&nbsp;&nbsp;" + _(
            "Persons with an attention in the period, or registered in it, that match the "
            "filters. Double-click (or Enter) opens the person; click a heading to sort."))
        self.hint_label.setTextFormat(Qt.TextFormat.RichText)
        self.hint_label.setWordWrap(True)
        self.hint_label.setObjectName("hint")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint_label)
        subscribe(self, ctx.session, {"person", "consultation", "referral", "follow_up_call"},
                  lambda _changed: self.filters_changed())

    # --- the district choice ---------------------------------------------------------------

    def _fill_districts(self, zone: str | None) -> None:
        current = self.district_combo.currentData()
        self.district_combo.blockSignals(True)
        self.district_combo.clear()
        self.district_combo.addItem(
            _("All districts") if zone is None else _("All districts of {zone}").format(
                zone=zone), None)
        for ubigeo, name in self._districts:
            district_zone = self._zone_of.get(ubigeo, "")
            if zone is None or district_zone == zone:
                self.district_combo.addItem(f"{name} ({district_zone})" if district_zone
                                            else name, ubigeo)
        index = self.district_combo.findData(current) if current else 0
        self.district_combo.setCurrentIndex(max(index, 0))
        self.district_combo.blockSignals(False)

    def district(self) -> str | None:
        data = self.district_combo.currentData()
        return str(data) if data else None

    def set_district(self, ubigeo: str | None) -> None:
        index = self.district_combo.findData(ubigeo) if ubigeo else 0
        if index < 0:  # outside the zone chosen in the filters: show every zone's districts
            self._fill_districts(None)
            index = self.district_combo.findData(ubigeo)
        self.district_combo.setCurrentIndex(max(index, 0))

    # --- reading ---------------------------------------------------------------------------

    def filters_changed(self) -> None:
        """The page's filters changed: read again now if shown, else when shown."""
        zone = self._filter_source().zone
        before = self.district()
        self._fill_districts(zone)
        self._stale = True
        if self.isVisible() or self.district() != before:
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> TaskHandle[Any]:
        """Read the list off the GUI thread; ``loaded`` is emitted when it is shown."""
        self._stale = False
        self._request += 1
        request = self._request
        flt, district, today = self._filter_source(), self.district(), self._today()
        self.summary_label.setText(_("Reading the list…"))

        def job(session: Session, _progress: Progress) -> list[FollowupRow]:
            return followup_rows(session, flt, district=district, today=today)

        def done(rows: list[FollowupRow]) -> None:
            if request == self._request:
                self.show_rows(rows)

        self.handle = run_job(self, self.ctx, job, done)
        return self.handle

    def show_rows(self, rows: list[FollowupRow]) -> None:
        self.model.set_rows(rows)
        states = state_counts(rows)
        parts = [ngettext("{n} person", "{n} persons", len(rows)).format(n=len(rows))]
        for state, text in ((STATE_OVERDUE, _("{n} with an overdue follow-up")),
                            (STATE_SCHEDULED, _("{n} with a follow-up scheduled")),
                            (STATE_REFERRAL, _("{n} with a referral awaiting outcome"))):
            if states[state]:
                parts.append(text.format(n=states[state]))
        self.summary_label.setText(" · ".join(parts))
        self.loaded.emit(len(rows))

    def rows(self) -> list[FollowupRow]:
        return self.model.rows()

    def _open(self, index: QModelIndex) -> None:
        person_id = index.data(PERSON_ID_ROLE)
        if person_id:
            self.person_requested.emit(str(person_id))

    # --- export ----------------------------------------------------------------------------

    def export(self, path: Path | None = None) -> TaskHandle[Path] | None:
        """Ask where (unless ``path``), then write the list off the GUI thread; a refusal
        or a file that cannot be written is shown in Spanish."""
        if self.export_handle is not None:
            return None
        if path is None:
            path = sheet_export.ask_save_path(
                self, self.ctx.paths.exports / (_("mapping-and-follow-up") + ".xlsx"))
            if path is None:
                return None
        target, flt, district, today = path, self._filter_source(), self.district(), \
            self._today()
        pending_only = self.pending_check.isChecked()

        def job(session: Session, _progress: Progress) -> Path:
            return export_followup(session, flt, target, district=district, today=today,
                                   pending_only=pending_only)

        def done(written: Path) -> None:
            self.export_handle = None
            self.export_button.setEnabled(True)
            self.summary_label.setText(_("Saved in {file}.").format(file=written))
            self.exported.emit(str(written))

        def failed(exc: BaseException) -> None:
            self.export_handle = None
            self.export_button.setEnabled(True)
            default_error_handler(self, exc)

        self.export_button.setEnabled(False)
        self.export_handle = run_job(self, self.ctx, job, done, on_error=failed)
        return self.export_handle

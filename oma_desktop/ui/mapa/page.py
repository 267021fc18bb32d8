"""Mapa: where the persons attended live — the districts of Lima and Callao shaded by persons
or attentions for the filters — and «Mapeo y seguimiento», the same persons by name with
their follow-up state (issue #11, points 1 and 2).

Offline: the boundaries come from the bundled GeoJSON (``oma_desktop.core.geo``), the counts
from ``oma_desktop.services.mapping``, counted off the GUI thread whenever the filters
change. The filter bar (period, casa, topic, nationality, sex, age band, migratory
situation, zone) serves both tabs. On the map: «Nivel» shades each district by its own
count or by its zone's total; the mouse wheel and the + and - keys zoom, dragging pans, 0
shows the whole map; hovering a district shows its name, zone, count and share, a click
selects it (its details appear at the side, and for Cercado de Lima the count by sector,
which has no drawn boundaries). «Exportar PNG» saves the map with its title, period,
filters and legend. Only roles that may see the reports reach this page; the persons' tab
is there for roles that may also see persons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneHoverEvent,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.disaggregation import UNKNOWN
from oma_desktop.core.errors import OmaError
from oma_desktop.core.geo import CERCADO
from oma_desktop.i18n import N_, _
from oma_desktop.services.context import AppContext
from oma_desktop.services.mapping import (
    Level,
    MapCounts,
    Measure,
    filter_descriptions,
    map_counts,
    zone_order,
    zones_of,
)
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.mapa.followup_tab import FollowupTab
from oma_desktop.ui.mapa.picture import MapPicture, paths_of, save_picture, scope_text
from oma_desktop.ui.mapa.shading import (
    CLASS_COLORS,
    MEASURE_LABELS,
    NO_DATA_COLOR,
    OUTLINE_COLOR,
    SEA_COLOR,
    SELECTED_COLOR,
    ZONE_OUTLINE_COLOR,
    Shading,
    count_text,
    shade,
    share_text,
    unplaced_text,
)
from oma_desktop.ui.models.table_model import Index, RowsTableModel
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job
from oma_desktop.ui.widgets.filter_bar import FilterBar

ZOOM_STEP = 1.25
SIDE_WIDTH = 290

__all__ = ["CLASS_COLORS", "NO_DATA_COLOR", "DistrictItem", "MapPage"]


def ask_png_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to save the picture (a file dialog; tests replace this function)."""
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, _("Export map"), str(suggested), _("PNG images (*.png)"))
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")


class DistrictItem(QGraphicsPathItem):
    """One district; tells the page when the mouse enters it."""

    def __init__(self, ubigeo: str, name: str, zone: str, path: QPainterPath,
                 page: MapPage) -> None:
        super().__init__(path)
        self.ubigeo = ubigeo
        self.name = name
        self.zone = zone
        self.count = 0  # the district's own count
        self.value = 0  # what it is shaded by: its count, or its zone's total
        self._page = page
        self.setAcceptHoverEvents(True)
        self.set_outline(OUTLINE_COLOR, 1.0)

    def set_outline(self, color: QColor, width: float) -> None:
        pen = QPen(color, width)
        pen.setCosmetic(True)
        self.setPen(pen)

    def fill_color(self) -> QColor:
        return self.brush().color()

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._page.district_hovered(self)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._page.district_hovered(None)
        super().hoverLeaveEvent(event)


class MapView(QGraphicsView):
    """Wheel and +/- zoom, drag pans, a click (without dragging) selects a district."""

    def __init__(self, scene: QGraphicsScene, page: MapPage) -> None:
        super().__init__(scene)
        self._page = page
        self._pressed_at: QPoint | None = None
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QBrush(SEA_COLOR))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(_("Map of Lima and Callao"))
        self.zoom_level = 1.0

    def zoom(self, factor: float) -> None:
        self.zoom_level *= factor
        self.scale(factor, factor)

    def fit(self) -> None:
        self.resetTransform()
        self.zoom_level = 1.0
        self.fitInView(self.scene().itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.zoom_level == 1.0:  # not zoomed by the user: keep the whole map in sight
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        elif event.key() == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._pressed_at = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        pos = event.position().toPoint()
        if (event.button() == Qt.MouseButton.LeftButton and self._pressed_at is not None
                and (pos - self._pressed_at).manhattanLength() < 4):
            item = self.itemAt(pos)
            self._page.select_district(item if isinstance(item, DistrictItem) else None)
        self._pressed_at = None


class SectorModel(RowsTableModel):
    """Cercado de Lima by sector: (sector as typed, count)."""

    headers = (N_("Sector"), N_("Persons"))

    def set_measure(self, measure: Measure) -> None:
        """The second column's heading follows what the map counts."""
        self.headers = (N_("Sector"), N_("Persons") if measure == "persons"
                        else N_("Attentions"))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        label, count = row
        if role == Qt.ItemDataRole.DisplayRole:
            return (label or _("No sector recorded")) if index.column() == 0 else str(count)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MapPage(QWidget):
    """``person_requested(person_id)`` asks the window to open a person; ``refreshed`` is
    emitted when the map shows newly read counts."""

    person_requested = Signal(str)
    refreshed = Signal()

    def __init__(self, ctx: AppContext, today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__()
        self.ctx = ctx
        self.measure: Measure = "persons"
        self.level: Level = "district"
        self.data: MapCounts | None = None
        self.counts: dict[str, int] = {}
        self.shading: Shading | None = None
        self.selected: DistrictItem | None = None
        self.handle: TaskHandle[MapCounts] | None = None
        self._request = 0
        self._zone_order = zone_order(ctx.session)

        self.filter_bar = FilterBar(ctx.session, preset="last_12_months", today=today)
        self.filter_bar.changed.connect(self.filters_changed)

        # the map tab
        self.measure_combo = QComboBox()
        self.measure_combo.setAccessibleName(_("Show"))
        self.measure_combo.addItem(_("Persons attended"), "persons")
        self.measure_combo.addItem(_("Attentions"), "consultations")
        self.level_combo = QComboBox()
        self.level_combo.setAccessibleName(_("Level"))
        self.level_combo.addItem(_("Districts"), "district")
        self.level_combo.addItem(_("Zones"), "zone")
        self.level_combo.setToolTip(_("Districts: each district by its own count. Zones: each "
                                      "district by its zone's total (Lima Norte, Centro, Este, "
                                      "Sur, Callao)."))
        self.status_label = QLabel()
        self.status_label.setObjectName("mapStatus")
        self.export_button = QPushButton(_("Export PNG…"))
        self.export_button.setToolTip(_("Save the map as a picture, with its title, period, "
                                        "filters and legend."))
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(lambda: self.export_png())
        tools = QHBoxLayout()
        for text, widget in ((_("&Show:"), self.measure_combo), (_("&Level:"), self.level_combo)):
            label = QLabel(text)
            label.setBuddy(widget)
            tools.addWidget(label)
            tools.addWidget(widget)
            tools.addSpacing(8)
        tools.addWidget(self.status_label, 1)
        tools.addWidget(self.export_button)

        self.scene = QGraphicsScene(self)
        self.items: dict[str, DistrictItem] = {}
        zone_of = self._zone_of()
        for ubigeo, path in sorted(paths_of(ctx.catalogs).items()):
            item = DistrictItem(ubigeo, ctx.catalogs.district(ubigeo).name,
                                zone_of.get(ubigeo, ""), path, self)
            self.scene.addItem(item)
            self.items[ubigeo] = item
        self.view = MapView(self.scene, self)

        self.selected_label = QLabel(_("Click a district to see its figures."))
        self.selected_label.setWordWrap(True)
        self.selected_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.persons_button = QPushButton(_("See the persons of this district"))
        self.persons_button.setAutoDefault(False)
        self.persons_button.clicked.connect(self._show_persons_of_selected)
        self.persons_button.setVisible(False)
        self.sector_title = QLabel(_(
            "Cercado de Lima by sector, as the persons stated it (the sectors have no "
            "boundaries on the map):"))
        self.sector_title.setWordWrap(True)
        self.sector_model = SectorModel(self)
        self.sector_table = QTableView()
        self.sector_table.setModel(self.sector_model)
        self.sector_table.setAccessibleName(_("Cercado de Lima by sector"))
        self.sector_table.verticalHeader().setVisible(False)
        self.sector_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.sector_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sector_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.sector_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.sector_table.setWordWrap(False)
        self.sector_table.verticalHeader().setDefaultSectionSize(
            self.sector_table.fontMetrics().height() + 6)
        self.sector_table.setFixedHeight(160)
        self.hover_label = QLabel(self.help_text())  # under the map: what the mouse is over
        self.hover_label.setObjectName("mapHover")
        self.legend_title = QLabel()
        self.legend_title.setWordWrap(True)
        self.legend_rows: list[QLabel] = []
        legend = QVBoxLayout()
        legend.setSpacing(2)
        legend.addWidget(self.legend_title)
        for _row in range(max(len(CLASS_COLORS) + 1, 8)):
            label = QLabel()
            self.legend_rows.append(label)
            legend.addWidget(label)
        self.zones_label = QLabel()
        self.zones_label.setWordWrap(True)
        self.unplaced_label = QLabel()
        self.unplaced_label.setWordWrap(True)

        side = QVBoxLayout()
        side.addWidget(self.selected_label)
        side.addWidget(self.persons_button)
        side.addWidget(self.sector_title)
        side.addWidget(self.sector_table)
        side.addSpacing(6)
        side.addLayout(legend)
        side.addSpacing(6)
        side.addWidget(self.zones_label)
        side.addWidget(self.unplaced_label)
        side.addStretch(1)
        side_frame = QFrame()
        side_frame.setLayout(side)
        self.side_scroll = QScrollArea()
        self.side_scroll.setWidget(side_frame)
        self.side_scroll.setWidgetResizable(True)
        self.side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side_scroll.setFixedWidth(SIDE_WIDTH)
        self._show_sectors(False)

        map_column = QVBoxLayout()
        map_column.addWidget(self.view, 1)
        map_column.addWidget(self.hover_label)
        body = QHBoxLayout()
        body.addLayout(map_column, 1)
        body.addWidget(self.side_scroll)
        map_tab = QWidget()
        map_layout = QVBoxLayout(map_tab)
        map_layout.setContentsMargins(4, 6, 4, 4)
        map_layout.addLayout(tools)
        map_layout.addLayout(body, 1)
        self.map_tab = map_tab

        self.tabs = QTabWidget()
        self.tabs.addTab(map_tab, _("Map"))
        self.followup: FollowupTab | None = None
        if ctx.session.can(Permission.VIEW_PERSONS):
            self.followup = FollowupTab(ctx, self.filter_bar.report_filter, today)
            self.followup.person_requested.connect(self.person_requested)
            self.tabs.addTab(self.followup, _("Mapping and follow-up"))

        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.tabs, 1)

        self.measure_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.level_combo.currentIndexChanged.connect(lambda _i: self._level_changed())
        subscribe(self, ctx.session, {"person", "consultation"}, self._records_changed)

    def _records_changed(self, _changed: frozenset[str]) -> None:
        self.refresh()

    def _zone_of(self) -> dict[str, str]:
        return zones_of(self.ctx.session)

    # --- counting ------------------------------------------------------------------------

    def filters_changed(self) -> None:
        self.refresh()
        if self.followup is not None:
            self.followup.filters_changed()

    def refresh(self) -> TaskHandle[MapCounts]:
        """Count again off the GUI thread for the filters and measure; ``refreshed`` is
        emitted once the map shows the result (a newer request supersedes an older one)."""
        self.measure = self.measure_combo.currentData()
        flt, measure = self.filter_bar.report_filter(), self.measure
        self._request += 1
        request = self._request
        self.status_label.setText(_("Counting…"))

        def job(session: Session, _progress: Progress) -> MapCounts:
            return map_counts(session, flt, measure)

        def done(counts: MapCounts) -> None:
            if request == self._request:
                self.show_counts(counts)

        def failed(exc: BaseException) -> None:
            if request == self._request:
                self.status_label.setText("")
            default_error_handler(self, exc)

        self.handle = run_job(self, self.ctx, job, done, on_error=failed)
        return self.handle

    def show_counts(self, counts: MapCounts) -> None:
        """Shade the map with ``counts`` (the GUI thread)."""
        self.data = counts
        self.counts = dict(counts.districts)
        # the zones of the file in force when counted ("sin dato": districts it leaves out)
        self._zone_order = tuple(z for z in counts.zones if z != UNKNOWN)
        for ubigeo, item in self.items.items():
            item.zone = counts.zone_of.get(ubigeo, "")
        self._shade()
        self.sector_model.set_measure(counts.measure)
        self.sector_model.set_rows([(s.label, s.count) for s in counts.sectors])
        self.status_label.setText(_("On the map: {count}").format(
            count=count_text(counts.total, counts.measure)))
        self.unplaced_label.setText(unplaced_text(counts))
        self.select_district(self.selected)
        self.refreshed.emit()

    def _level_changed(self) -> None:
        self.level = self.level_combo.currentData()
        if self.data is not None:
            self._shade()
            self.select_district(self.selected)

    def _shade(self) -> None:
        assert self.data is not None
        self.shading = shade(self.data, self.level, sorted(self.items), self._zone_order)
        outline = ZONE_OUTLINE_COLOR if self.level == "zone" else OUTLINE_COLOR
        for ubigeo, item in self.items.items():
            item.count = self.data.districts.get(ubigeo, 0)
            item.value = self.shading.values[ubigeo]
            item.setBrush(QBrush(self.shading.colors[ubigeo]))
            if item is not self.selected:
                item.set_outline(outline, 1.0)
            item.setToolTip(self.district_text(item))
        self._fill_legend(self.shading)
        self.hover_label.setText(self.help_text())

    def _fill_legend(self, shading: Shading) -> None:
        self.legend_title.setText(f"<b>{shading.title}</b>")
        for label, row in zip(self.legend_rows,
                              [*shading.legend, *[None] * len(self.legend_rows)], strict=False):
            label.setVisible(row is not None)
            if row is not None:
                label.setText(f'<span style="background-color:{row.color.name()};">'
                              f"&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{row.text}")
        if self.level == "district" and self.data is not None:
            self.zones_label.setText("\n".join(
                [_("By zone:")] + [f"{zone}: {self.data.zones.get(zone, 0)}"
                                   for zone in self._zone_order]))
            self.zones_label.setVisible(True)
        else:
            self.zones_label.setVisible(False)

    # --- hover and click -------------------------------------------------------------------

    def district_text(self, item: DistrictItem) -> str:
        """One line: «San Juan de Lurigancho (Lima Este): 3 personas · 12.5 %»; at the zone
        level the zone's figures come first."""
        data = self.data
        share = share_text(data.share(item.value)) if data else ""
        zone = item.zone or _("no zone")
        if self.level == "zone":
            return _("{zone}: {count} · {share} (district {district})").format(
                zone=zone, count=count_text(item.value, self.measure), share=share,
                district=item.name)
        return _("{district} ({zone}): {count} · {share}").format(
            district=item.name, zone=zone, count=count_text(item.count, self.measure),
            share=share)

    def district_hovered(self, item: DistrictItem | None) -> None:
        self.hover_label.setText(self.help_text() if item is None else self.district_text(item))

    @staticmethod
    def help_text() -> str:
        """Under the map while the mouse is over no district."""
        return _("Wheel or + and -: zoom · drag: move · 0: whole map · click a district: "
                 "its details")

    def details_text(self, item: DistrictItem) -> str:
        data = self.data
        if data is None:
            return f"<b>{item.name}</b>"
        zone = item.zone or _("no zone")
        own = _("{count} · {share} of the map's total").format(
            count=count_text(item.count, self.measure), share=share_text(data.share(item.count)))
        if self.level == "zone":
            zone_total = _("{count} · {share} of the map's total").format(
                count=count_text(item.value, self.measure),
                share=share_text(data.share(item.value)))
            return (f"<b>{zone}</b><br>{zone_total}<br><br>"
                    + _("District {district}: {figures}").format(district=item.name,
                                                                  figures=own))
        return f"<b>{item.name}</b><br>" + _("Zone: {zone}").format(zone=zone) + f"<br>{own}"

    def select_district(self, item: DistrictItem | None) -> None:
        outline = ZONE_OUTLINE_COLOR if self.level == "zone" else OUTLINE_COLOR
        if self.selected is not None:
            self.selected.set_outline(outline, 1.0)
            self.selected.setZValue(0)
        self.selected = item
        if item is None:
            self.selected_label.setText(_("Click a district to see its figures."))
            self.persons_button.setVisible(False)
            self._show_sectors(False)
            return
        item.set_outline(SELECTED_COLOR, 3.0)
        item.setZValue(1)
        self.selected_label.setText(self.details_text(item))
        self.persons_button.setVisible(self.followup is not None)
        self._show_sectors(item.ubigeo == CERCADO and self.data is not None)

    def _show_sectors(self, on: bool) -> None:
        self.sector_title.setVisible(on)
        self.sector_table.setVisible(on)

    def _show_persons_of_selected(self) -> None:
        if self.selected is not None:
            self.show_persons(self.selected.ubigeo)

    def show_persons(self, ubigeo: str | None) -> None:
        """The «Mapeo y seguimiento» tab with the persons of ``ubigeo``."""
        if self.followup is None:
            return
        self.followup.set_district(ubigeo)
        self.tabs.setCurrentWidget(self.followup)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.tabs.currentWidget() is self.map_tab:
            self.refresh()  # consultations may have been recorded since
            self.view.fit()

    # --- the picture ---------------------------------------------------------------------------

    def picture(self) -> MapPicture:
        """What «Exportar PNG» saves: the counts shown, at the level shown."""
        if self.data is None:
            raise OmaError(_("The map is still being counted. Try again in a moment."))
        session = self.ctx.session
        return MapPicture(counts=self.data, level=self.level,
                          paths={u: i.path() for u, i in self.items.items()},
                          zone_order=self._zone_order,
                          scope=scope_text(session, self.data.filter),
                          filters=filter_descriptions(session, self.data.filter))

    def save_png(self, path: Path, size: tuple[int, int] = (1366, 768)) -> bool:
        """Save the map picture (title, period, filters, legend) as PNG."""
        return save_picture(self.picture(), path, size)

    def export_png(self, path: Path | None = None) -> Path | None:
        if path is None:
            measure = _(MEASURE_LABELS[self.measure]).lower().replace(" ", "-")
            path = ask_png_path(self, self.ctx.paths.exports / f"{_('map')}-{measure}.png")
            if path is None:
                return None
        try:
            saved = self.save_png(path)
        except OmaError as exc:
            default_error_handler(self, exc)
            return None
        if not saved:
            default_error_handler(self, OmaError(_(
                "Could not save {file}: the folder cannot be written. Choose another "
                "folder.").format(file=path.name)))
            return None
        self.status_label.setText(_("Saved in {file}.").format(file=path))
        return path

"""Mapa: the districts of Lima and Callao shaded by persons or consultations in a period.

Offline: the boundaries come from the bundled GeoJSON (``oma_desktop.core.geo``), the
counts from ``oma_desktop.services.mapping``. The mouse wheel and the + and - keys zoom,
dragging pans, hovering a district shows its count, a click selects it (its name and count
appear at the side). Only roles that may see the reports reach this page.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from PySide6.QtCore import QDate, QPoint, QPointF, Qt
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
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneHoverEvent,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.geo import ZONES, Ring, district_polygons, district_zones
from oma_desktop.i18n import _, date_pattern, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.mapping import Measure, district_counts

LAT0 = -12.05  # the projection's reference latitude (central Lima)
SCALE = 1000.0  # scene units per degree, so pens and zoom work with whole numbers
NO_DATA_COLOR = QColor("#ffffff")
CLASS_COLORS = tuple(QColor(c) for c in ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"))
HOVER_COLOR = QColor("#2b6cb0")
ZOOM_STEP = 1.25


def project(lon: float, lat: float) -> QPointF:
    """Plate carrée scaled at Lima's latitude: x = lon·cos(lat0), y = -lat."""
    return QPointF(lon * math.cos(math.radians(LAT0)) * SCALE, -lat * SCALE)


def ring_path(rings: tuple[Ring, ...]) -> QPainterPath:
    path = QPainterPath()
    for ring in rings:
        path.moveTo(project(*ring[0]))
        for lon, lat in ring[1:]:
            path.lineTo(project(lon, lat))
        path.closeSubpath()
    return path


def class_bounds(maximum: int) -> tuple[int, ...]:
    """Upper bounds of up to five classes of equal width over 1..maximum."""
    if maximum <= 0:
        return ()
    return tuple(sorted({math.ceil(maximum * k / 5) for k in range(1, 6)}))


def class_color(count: int, bounds: tuple[int, ...]) -> QColor:
    if count <= 0 or not bounds:
        return NO_DATA_COLOR
    offset = len(CLASS_COLORS) - len(bounds)  # few classes: the darkest stay for the top
    for index, upper in enumerate(bounds):
        if count <= upper:
            return CLASS_COLORS[offset + index]
    return CLASS_COLORS[-1]


def count_text(count: int, measure: Measure) -> str:
    if measure == "persons":
        return ngettext("{n} person", "{n} persons", count).format(n=count)
    return ngettext("{n} attention", "{n} attentions", count).format(n=count)


class DistrictItem(QGraphicsPathItem):
    """One district; tells the page when the mouse enters it."""

    def __init__(self, ubigeo: str, name: str, path: QPainterPath, page: MapPage) -> None:
        super().__init__(path)
        self.ubigeo = ubigeo
        self.name = name
        self.count = 0
        self._page = page
        self.setAcceptHoverEvents(True)
        pen = QPen(QColor("#555555"), 1.0)
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
        self.setBackgroundBrush(QBrush(QColor("#dbe9f6")))  # the sea
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
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


class MapPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.measure: Measure = "persons"
        self.counts: dict[str, int] = {}
        self.selected: DistrictItem | None = None

        self.from_edit = self._date_edit(_("Start of the period"))
        self.to_edit = self._date_edit(_("End of the period"))
        today = dt.date.today()
        self.to_edit.setDate(QDate(today.year, today.month, today.day))
        start = self.to_edit.date().addMonths(-12).addDays(1)
        self.from_edit.setDate(start)
        self.measure_combo = QComboBox()
        self.measure_combo.setAccessibleName(_("Show"))
        self.measure_combo.addItem(_("Persons attended"), "persons")
        self.measure_combo.addItem(_("Attentions"), "consultations")
        self.export_button = QPushButton(_("Export PNG…"))
        self.export_button.clicked.connect(self._choose_png)

        filters = QHBoxLayout()
        for text, widget in ((_("Period from:"), self.from_edit), (_("until:"), self.to_edit),
                             (_("Show:"), self.measure_combo)):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.export_button)

        self.scene = QGraphicsScene(self)
        self.items: dict[str, DistrictItem] = {}
        for ubigeo, rings in sorted(district_polygons(ctx.catalogs).items()):
            item = DistrictItem(ubigeo, ctx.catalogs.district(ubigeo).name, ring_path(rings), self)
            self.scene.addItem(item)
            self.items[ubigeo] = item
        self.view = MapView(self.scene, self)

        self.hover_label = QLabel()
        self.selected_label = QLabel(_("Click a district to see its figures."))
        self.selected_label.setWordWrap(True)
        self.selected_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend_title = QLabel()
        self.legend_rows: list[QLabel] = []
        legend = QVBoxLayout()
        legend.addWidget(self.legend_title)
        for _row in range(len(CLASS_COLORS) + 1):
            label = QLabel()
            self.legend_rows.append(label)
            legend.addWidget(label)
        self.zones_label = QLabel()
        self.zones_label.setWordWrap(True)
        help_label = QLabel(_("Wheel or + and - keys: zoom; drag: move; 0: whole map."))
        help_label.setWordWrap(True)

        side = QVBoxLayout()
        side.addWidget(self.selected_label)
        side.addWidget(self.hover_label)
        side.addSpacing(12)
        side.addLayout(legend)
        side.addSpacing(12)
        side.addWidget(self.zones_label)
        side.addStretch(1)
        side.addWidget(help_label)
        side_frame = QFrame()
        side_frame.setLayout(side)
        side_frame.setFixedWidth(260)

        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addWidget(side_frame)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(body, 1)

        self.from_edit.dateChanged.connect(self.refresh)
        self.to_edit.dateChanged.connect(self.refresh)
        self.measure_combo.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(date_pattern())
        edit.setAccessibleName(name)
        return edit

    def period(self) -> tuple[dt.date, dt.date]:
        start: dt.date = self.from_edit.date().toPython()  # type: ignore[assignment]
        end: dt.date = self.to_edit.date().toPython()  # type: ignore[assignment]
        return start, end

    def refresh(self) -> None:
        """Read the counts for the period and measure again and shade the districts."""
        self.measure = self.measure_combo.currentData()
        start, end = self.period()
        self.counts = district_counts(self.ctx.session, start, end, self.measure)
        bounds = class_bounds(max(self.counts.values(), default=0))
        for ubigeo, item in self.items.items():
            item.count = self.counts.get(ubigeo, 0)
            item.setBrush(QBrush(class_color(item.count, bounds)))
            item.setToolTip(self.district_text(item))
        self._fill_legend(bounds)
        zones = district_zones()
        by_zone = dict.fromkeys(ZONES, 0)
        for ubigeo, n in self.counts.items():
            by_zone[zones.get(ubigeo, ZONES[0])] += n
        self.zones_label.setText("\n".join(
            [_("By zone:")] + [f"{zone}: {by_zone[zone]}" for zone in ZONES]))
        self.select_district(self.selected)

    def _fill_legend(self, bounds: tuple[int, ...]) -> None:
        self.legend_title.setText(
            _("Persons attended") if self.measure == "persons" else _("Attentions"))
        offset = len(CLASS_COLORS) - len(bounds)
        rows: list[tuple[QColor, str]] = [(NO_DATA_COLOR, _("No data in the period"))]
        lower = 1
        for index, upper in enumerate(bounds):
            text = str(upper) if lower == upper else f"{lower}–{upper}"
            rows.append((CLASS_COLORS[offset + index], text))
            lower = upper + 1
        for label, row in zip(self.legend_rows, rows + [None] * len(self.legend_rows),
                              strict=False):
            label.setVisible(row is not None)
            if row is not None:
                color, text = row
                label.setText(f'<span style="background-color:{color.name()}">'
                              f"&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{text}")

    def district_text(self, item: DistrictItem) -> str:
        return f"{item.name}: {count_text(item.count, self.measure)}"

    def district_hovered(self, item: DistrictItem | None) -> None:
        self.hover_label.setText("" if item is None else self.district_text(item))

    def select_district(self, item: DistrictItem | None) -> None:
        if self.selected is not None:
            pen = self.selected.pen()
            pen.setColor(QColor("#555555"))
            pen.setWidthF(1.0)
            self.selected.setPen(pen)
            self.selected.setZValue(0)
        self.selected = item
        if item is None:
            self.selected_label.setText(_("Click a district to see its figures."))
            return
        pen = item.pen()
        pen.setColor(HOVER_COLOR)
        pen.setWidthF(3.0)
        item.setPen(pen)
        item.setZValue(1)
        self.selected_label.setText(f"<b>{item.name}</b><br>{count_text(item.count, self.measure)}")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # consultations may have been recorded since
        self.view.fit()

    def save_png(self, path: Path) -> bool:
        """Save the map as it is shown, with its side panel and legend."""
        return self.grab().save(str(path), "PNG")

    def _choose_png(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("Export map"), str(Path.home() / _("map.png")), _("PNG images (*.png)"))
        if chosen:
            if not chosen.lower().endswith(".png"):
                chosen += ".png"
            self.save_png(Path(chosen))

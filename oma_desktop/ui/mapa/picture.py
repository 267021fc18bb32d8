"""The map as a picture (PNG): title, period, scope, filters, the shaded districts, the
legend, what the map leaves out and the sources, drawn with QPainter on a QImage.

Used by «Exportar PNG» on the Mapa page (with what the page shows) and by
:func:`render_map_png`, which needs no window (tests, ``docs/screenshots/17-mapa.png``).
Only a ``QGuiApplication`` must exist (the offscreen platform will do).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.geo import district_polygons
from oma_desktop.i18n import _, format_datetime
from oma_desktop.services.casas import casa_names
from oma_desktop.services.mapping import (
    Level,
    MapCounts,
    Measure,
    filter_descriptions,
    map_counts,
    period_text,
    zone_order,
)
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.session import Session
from oma_desktop.ui.mapa.shading import (
    MEASURE_LABELS,
    OUTLINE_COLOR,
    SEA_COLOR,
    ZONE_OUTLINE_COLOR,
    Shading,
    count_text,
    ring_path,
    shade,
    unplaced_text,
)

SIZE = (1366, 768)
MARGIN = 24
SIDE_WIDTH = 360
MAX_SECTORS = 8
INK = QColor("#1f1f1f")
MUTED = QColor("#555555")


@dataclass
class MapPicture:
    """What the picture shows (translated texts and plain data)."""

    counts: MapCounts
    level: Level
    paths: dict[str, QPainterPath]  # ubigeo -> outline, in scene units
    zone_order: tuple[str, ...]
    scope: str  # «Consolidado: todas las casas» or the casa's name
    filters: list[str] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(
        second=0, microsecond=0))

    @property
    def title(self) -> str:
        measure = _(MEASURE_LABELS[self.counts.measure])
        if self.level == "zone":
            return _("{measure} by zone of residence — Lima and Callao").format(
                measure=measure)
        return _("{measure} by district of residence — Lima and Callao").format(
            measure=measure)

    def shading(self) -> Shading:
        return shade(self.counts, self.level, sorted(self.paths), self.zone_order)


def scope_text(session: Session, flt: ReportFilter) -> str:
    if flt.casa_id is None:
        return _("Consolidated: all casas")
    return casa_names(session).get(flt.casa_id, flt.casa_id)


def paths_of(catalogs: Catalogs) -> dict[str, QPainterPath]:
    return {u: ring_path(rings) for u, rings in district_polygons(catalogs).items()}


def picture_for(session: Session, flt: ReportFilter, measure: Measure, level: Level,
                counts: MapCounts | None = None) -> MapPicture:
    """The picture of ``flt`` (counted now unless ``counts`` are given)."""
    counts = counts or map_counts(session, flt, measure)
    return MapPicture(counts=counts, level=level, paths=paths_of(session.catalogs),
                      zone_order=zone_order(session), scope=scope_text(session, flt),
                      filters=filter_descriptions(session, flt))


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _text(painter: QPainter, rect: QRectF, text: str, font: QFont,
          color: QColor = INK) -> float:
    """Draw wrapped ``text`` at the top of ``rect``; returns the height used."""
    painter.setFont(font)
    painter.setPen(color)
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap)
    used = painter.boundingRect(rect, flags, text)
    painter.drawText(rect, flags, text)
    return used.height()


def paint_picture(picture: MapPicture, size: tuple[int, int] = SIZE) -> QImage:
    """The picture as an image of ``size`` pixels."""
    width, height = size
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        _paint(painter, picture, width, height)
    finally:
        painter.end()
    return image


def _paint(painter: QPainter, picture: MapPicture, width: int, height: int) -> None:
    counts = picture.counts
    shading = picture.shading()
    # header: title, period and scope, filters
    top = float(MARGIN)
    full = width - 2 * MARGIN
    top += _text(painter, QRectF(MARGIN, top, full, 60), picture.title, _font(15, True)) + 4
    period = period_text(counts.filter.date_from, counts.filter.date_to)
    line = _("Period: {period} · {scope}").format(period=period, scope=picture.scope)
    top += _text(painter, QRectF(MARGIN, top, full, 40), line, _font(10.5), MUTED) + 2
    filters = "; ".join(picture.filters) if picture.filters else _("None")
    top += _text(painter, QRectF(MARGIN, top, full, 40),
                 _("Filters: {filters}").format(filters=filters), _font(10.5), MUTED) + 10

    footer_height = 34
    map_rect = QRectF(MARGIN, top, width - 2 * MARGIN - SIDE_WIDTH - 16,
                      height - top - MARGIN - footer_height)
    painter.fillRect(map_rect, SEA_COLOR)
    _paint_districts(painter, picture, shading, map_rect.adjusted(8, 8, -8, -8))
    painter.setPen(QPen(QColor("#b0b8c4"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(map_rect)

    # the side: legend, total, zones, Cercado's sectors, what is left out
    x = map_rect.right() + 16
    side = QRectF(x, top, SIDE_WIDTH, map_rect.height())
    y = side.top()
    y += _text(painter, QRectF(x, y, SIDE_WIDTH, 40), shading.title, _font(11, True)) + 6
    for row in shading.legend:
        painter.setPen(QPen(OUTLINE_COLOR, 1))
        painter.setBrush(row.color)
        painter.drawRect(QRectF(x, y + 2, 22, 14))
        y += max(_text(painter, QRectF(x + 30, y, SIDE_WIDTH - 30, 40), row.text,
                       _font(10)), 18) + 3
    y += 8
    total = _("Total on the map: {count}").format(count=count_text(counts.total,
                                                                   counts.measure))
    y += _text(painter, QRectF(x, y, SIDE_WIDTH, 40), total, _font(10, True)) + 8
    if picture.level == "district":
        lines = [_("By zone:")] + [f"{zone}: {counts.zones.get(zone, 0)}"
                                   for zone in picture.zone_order]
        y += _text(painter, QRectF(x, y, SIDE_WIDTH, 200), "\n".join(lines), _font(10)) + 8
    sectors = [s for s in counts.sectors if s.label]
    if sectors:
        lines = [_("Cercado de Lima by sector (as stated; sectors have no drawn boundaries):")]
        lines += [f"{s.label}: {s.count}" for s in sectors[:MAX_SECTORS]]
        others = sum(s.count for s in counts.sectors[MAX_SECTORS:] if s.label)
        no_sector = sum(s.count for s in counts.sectors if not s.label)
        if others:
            lines.append(_("Other sectors: {n}").format(n=others))
        if no_sector:
            lines.append(_("No sector recorded: {n}").format(n=no_sector))
        y += _text(painter, QRectF(x, y, SIDE_WIDTH, 260), "\n".join(lines), _font(9.5)) + 8
    note = unplaced_text(counts)
    if note:
        _text(painter, QRectF(x, y, SIDE_WIDTH, 60), note, _font(9.5), MUTED)

    source = _("Source: OMA Desktop records. District boundaries: joseluisq/"
               "peru-geojson-datasets (MINAM, GEOIDEP). Made on {date}.").format(
                   date=format_datetime(picture.generated_at))
    _text(painter, QRectF(MARGIN, height - MARGIN - footer_height + 12, full, 30), source,
          _font(8.5), MUTED)


def _paint_districts(painter: QPainter, picture: MapPicture, shading: Shading,
                     target: QRectF) -> None:
    bounds = QRectF()
    for path in picture.paths.values():
        bounds = bounds.united(path.boundingRect())
    if bounds.isEmpty():
        return
    scale = min(target.width() / bounds.width(), target.height() / bounds.height())
    painter.save()
    painter.translate(target.center())
    painter.scale(scale, scale)
    painter.translate(-bounds.center())
    outline = ZONE_OUTLINE_COLOR if picture.level == "zone" else OUTLINE_COLOR
    for ubigeo, path in sorted(picture.paths.items()):
        pen = QPen(outline, 0.8)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(shading.colors[ubigeo])
        painter.drawPath(path)
    if picture.level == "zone":  # the zones' own outlines, darker, over the districts
        for zone in picture.zone_order:
            outline_path = QPainterPath()
            for ubigeo, path in picture.paths.items():
                if picture.counts.zone_of.get(ubigeo) == zone:
                    outline_path = outline_path.united(path)
            pen = QPen(OUTLINE_COLOR, 1.6)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(outline_path)
    painter.restore()


def save_picture(picture: MapPicture, path: Path, size: tuple[int, int] = SIZE) -> bool:
    """Write the picture as PNG; False if the file could not be written."""
    image = paint_picture(picture, size)
    return bool(image.save(str(path), "PNG"))  # type: ignore[call-overload]


def render_map_png(session: Session, flt: ReportFilter, path: Path, *,
                   measure: Measure = "persons", level: Level = "district",
                   size: tuple[int, int] = SIZE) -> Path:
    """Count ``flt`` and write the map picture to ``path`` without any window."""
    picture = picture_for(session, flt, measure, level)
    if not save_picture(picture, Path(path), size):
        from oma_desktop.core.errors import OmaError

        raise OmaError(_("Could not save {file}. Choose another folder.").format(
            file=Path(path).name))
    return Path(path)


__all__ = ["MapPicture", "paint_picture", "picture_for", "render_map_png",
           "save_picture"]

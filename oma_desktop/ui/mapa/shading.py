"""How the map is drawn and shaded, shared by the Mapa page and the PNG picture.

The districts are projected from longitude and latitude (plate carrée scaled at Lima's
latitude, good enough for a city). Counts are shaded in up to five classes of equal width
over 1..maximum; a district (or zone) without any is white. At the **zone level** each
district takes its zone's total, so the five zones read as blocks, and the legend lists
the zones with their counts and shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainterPath

from oma_desktop.core import geo
from oma_desktop.core.geo import LAT0, Ring, class_bounds
from oma_desktop.i18n import N_, _, format_percent, ngettext
from oma_desktop.services.mapping import Level, MapCounts, Measure

SCALE = 1000.0  # scene units per degree, so pens and zoom work with whole numbers
NO_DATA_COLOR = QColor(geo.NO_DATA_COLOR)
CLASS_COLORS = tuple(QColor(c) for c in geo.CLASS_COLORS)
SEA_COLOR = QColor("#dbe9f6")
OUTLINE_COLOR = QColor("#555555")
ZONE_OUTLINE_COLOR = QColor("#9a9a9a")  # district lines inside a zone, at the zone level
SELECTED_COLOR = QColor("#2b6cb0")

MEASURE_LABELS: dict[str, str] = {"persons": N_("Persons attended"),
                                  "consultations": N_("Attentions")}
LEVEL_LABELS: dict[str, str] = {"district": N_("Districts"), "zone": N_("Zones")}


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


def class_color(count: int, bounds: tuple[int, ...]) -> QColor:
    """The fill of a district with ``count`` (the classes and colours of core/geo.py)."""
    return QColor(geo.class_color(count, bounds))


def count_text(count: int, measure: Measure) -> str:
    if measure == "persons":
        return ngettext("{n} person", "{n} persons", count).format(n=count)
    return ngettext("{n} attention", "{n} attentions", count).format(n=count)


def share_text(share: float) -> str:
    """«12,5 %» of the map's total."""
    return format_percent(share / 100.0)


@dataclass(frozen=True)
class LegendRow:
    color: QColor
    text: str


@dataclass(frozen=True)
class Shading:
    """What each district shows and the legend, for one level."""

    level: Level
    values: dict[str, int]  # ubigeo -> the count it is shaded by (its own or its zone's)
    colors: dict[str, QColor]  # ubigeo -> fill
    title: str  # the legend's title
    legend: list[LegendRow]


def shade(counts: MapCounts, level: Level, ubigeos: list[str],
          zone_order: tuple[str, ...]) -> Shading:
    """The fill of every district in ``ubigeos`` and the legend, at ``level``."""
    measure_label = _(MEASURE_LABELS[counts.measure])
    if level == "zone":
        values = {u: counts.zones.get(counts.zone_of.get(u, ""), 0) for u in ubigeos}
        bounds = class_bounds(max(counts.zones.values(), default=0))
        legend = [LegendRow(class_color(counts.zones.get(zone, 0), bounds), _(
            "{zone}: {count} ({share})").format(
                zone=zone, count=counts.zones.get(zone, 0),
                share=share_text(counts.share(counts.zones.get(zone, 0)))))
            for zone in zone_order]
        title = _("{measure} by zone").format(measure=measure_label)
    else:
        values = {u: counts.districts.get(u, 0) for u in ubigeos}
        bounds = class_bounds(max(values.values(), default=0))
        legend = [LegendRow(NO_DATA_COLOR, _("No data in the period"))]
        lower = 1
        for color, upper in zip(geo.class_colors(bounds), bounds, strict=True):
            legend.append(LegendRow(QColor(color),
                                    str(upper) if lower == upper else f"{lower}–{upper}"))
            lower = upper + 1
        title = _("{measure} by district").format(measure=measure_label)
    colors = {u: class_color(v, bounds) for u, v in values.items()}
    return Shading(level, values, colors, title, legend)


def unplaced_text(counts: MapCounts) -> str:
    """What the map leaves out: persons without a district and anonymous walk-ins."""
    parts = []
    if counts.without_district:
        if counts.measure == "persons":
            parts.append(ngettext("{n} person without a district",
                                  "{n} persons without a district",
                                  counts.without_district).format(n=counts.without_district))
        else:
            parts.append(ngettext("{n} attention of persons without a district",
                                  "{n} attentions of persons without a district",
                                  counts.without_district).format(n=counts.without_district))
    if counts.anonymous:
        parts.append(ngettext("{n} anonymous attention", "{n} anonymous attentions",
                              counts.anonymous).format(n=counts.anonymous))
    if not parts:
        return ""
    return _("Not on the map: {what}.").format(what=", ".join(parts))

"""The districts of Lima and Callao shaded by a count, for the PDF report (issue #11, point 1).

Drawn with reportlab.graphics from the bundled boundaries (``core/geo.py``), offline. The
projection is the map page's: plate carrée scaled at Lima's latitude (x = lon·cos(lat0),
y = lat). Counts fall in up to five classes of equal width over 1..maximum, coloured like
the map page; districts without records stay white. In a partner document no class is
narrower than «1 – 4», so the map never tells more than the «<5» of the tables. The legend
gives the classes, the districts numbered on the map (those with most records) and the
records the map cannot place (districts outside Lima and Callao, or none recorded).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.geo import (
    CLASS_COLORS,
    LAT0,
    NO_DATA_COLOR,
    ZONES,
    Ring,
    class_color,
    district_polygons,
    district_zones,
)
from oma_desktop.core.geo import class_bounds as geo_class_bounds
from oma_desktop.i18n import _, format_number
from oma_desktop.printing.letterhead import FONT, FONT_BOLD
from oma_desktop.printing.report_charts import new_drawing, shorten

NO_DATA = NO_DATA_COLOR
SEA = "#dbe9f6"
EDGE = "#666666"
SMALL_CELL = 5
TOP = 10  # districts numbered on the map


def class_bounds(maximum: int, *, for_partners: bool = False) -> tuple[int, ...]:
    """Upper bounds of up to five classes of equal width over 1..maximum; for partners the
    classes under 5 are merged into one «1 – 4»."""
    return geo_class_bounds(maximum, merge_below=SMALL_CELL if for_partners else 0)


def class_labels(bounds: tuple[int, ...]) -> list[str]:
    labels, low = [], 1
    for upper in bounds:
        labels.append(format_number(low) if low == upper
                      else f"{format_number(low)} – {format_number(upper)}")
        low = upper + 1
    return labels


def _shown(count: int, for_partners: bool) -> str:
    return "<5" if for_partners and 0 < count < SMALL_CELL else format_number(count)


def district_map_drawing(counts: Mapping[str, int], width: float, *, for_partners: bool = False,
                         catalogs: Catalogs | None = None,
                         zones: Mapping[str, str] | None = None,
                         max_height: float = 470.0) -> Any:
    """A Drawing ``width`` points wide: the choropleth of ``counts`` ({ubigeo: count}) on
    the left, its legend on the right. ``zones`` ({ubigeo: zone}, default the bundled
    file) outlines and names the zones: pass the zones file in force for the data folder."""
    from reportlab.graphics.shapes import Circle, Line, Polygon, Rect, String
    from reportlab.lib import colors

    catalogs = catalogs or load_catalogs()
    polygons = district_polygons(catalogs)
    zones = district_zones() if zones is None else zones
    k = math.cos(math.radians(LAT0))
    points = [(lon * k, lat) for rings in polygons.values() for ring in rings
              for lon, lat in ring]
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    map_w = width * 0.55
    scale = min(map_w / (max_x - min_x), max_height / (max_y - min_y))
    map_w, map_h = (max_x - min_x) * scale, (max_y - min_y) * scale
    pad = 6.0
    height = map_h + 2 * pad
    drawing = new_drawing(width, height)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return pad + (lon * k - min_x) * scale, pad + (lat - min_y) * scale

    drawing.add(Rect(0, 0, map_w + 2 * pad, height, fillColor=colors.HexColor(SEA),
                     strokeColor=colors.HexColor("#b8c9dc"), strokeWidth=0.5))
    on_map = {u: int(n) for u, n in counts.items() if u in polygons}
    off_map = sum(int(n) for u, n in counts.items() if u not in polygons)
    bounds = class_bounds(max(on_map.values(), default=0), for_partners=for_partners)
    for ubigeo, rings in polygons.items():
        fill = colors.HexColor(class_color(on_map.get(ubigeo, 0), bounds))
        for ring in rings:
            flat = [c for lon, lat in ring for c in xy(lon, lat)]
            drawing.add(Polygon(flat, fillColor=fill, strokeColor=colors.HexColor(EDGE),
                                strokeWidth=0.35, strokeLineJoin=1))
    # the zones: their outlines (edges between districts of different zones, and the coast
    # and the outer edge) drawn thicker, and their names
    for a, b in _zone_edges(polygons, zones):
        drawing.add(Line(*xy(*a), *xy(*b), strokeColor=colors.HexColor("#1f3a5f"),
                         strokeWidth=1.1, strokeLineCap=1))
    top = sorted((u for u, n in on_map.items() if n > 0), key=lambda u: (-on_map[u], u))[:TOP]
    markers = [xy(catalogs.district(u).longitude, catalogs.district(u).latitude) for u in top]
    taken = [(x - 6, y - 6, x + 6, y + 6) for x, y in markers]
    named = set(zones.values())
    for zone in [*(z for z in ZONES if z in named), *sorted(named - set(ZONES))]:
        members = [u for u in polygons if zones.get(u) == zone]
        if not members:
            continue
        spot = _label_spot(zone.upper(), members, polygons, xy, taken)
        if spot is not None:
            x, y = spot
            drawing.add(String(x, y, zone.upper(), fontName=FONT_BOLD, fontSize=7,
                               fillColor=colors.HexColor("#1f3a5f"), textAnchor="middle"))
    # the districts with most records, numbered
    for number, (x, y) in enumerate(markers, start=1):
        drawing.add(Circle(x, y, 5.2, fillColor=colors.white,
                           strokeColor=colors.HexColor("#1f3a5f"), strokeWidth=0.7))
        drawing.add(String(x, y - 2.3, str(number), fontName=FONT_BOLD, fontSize=6.2,
                           fillColor=colors.HexColor("#1f3a5f"), textAnchor="middle"))

    # the legend
    x0 = map_w + 2 * pad + 16
    legend_w = width - x0
    y = height - 12
    drawing.add(String(x0, y, _("Legend"), fontName=FONT_BOLD, fontSize=8.5))
    y -= 16
    rows = list(zip(class_labels(bounds), (class_color(b, bounds) for b in bounds),
                    strict=True))
    rows.append((_("No records"), NO_DATA))
    for label, color in rows:
        drawing.add(Rect(x0, y - 2, 14, 9, fillColor=colors.HexColor(color),
                         strokeColor=colors.HexColor(EDGE), strokeWidth=0.4))
        drawing.add(String(x0 + 20, y, label, fontName=FONT, fontSize=7.5))
        y -= 13
    if off_map:
        y -= 2
        for line in _wrap(_("Not on the map (outside Lima and Callao or no district): {n}")
                          .format(n=_shown(off_map, for_partners)), legend_w, 7):
            drawing.add(String(x0, y, line, fontName=FONT, fontSize=7))
            y -= 10
    if top:
        y -= 10
        drawing.add(String(x0, y, _("Districts with most records"), fontName=FONT_BOLD,
                           fontSize=8))
        y -= 14
        for number, ubigeo in enumerate(top, start=1):
            name = catalogs.district(ubigeo).name
            figure = _shown(on_map[ubigeo], for_partners)
            drawing.add(Circle(x0 + 5, y + 2.5, 5.2, fillColor=colors.white,
                               strokeColor=colors.HexColor("#1f3a5f"), strokeWidth=0.7))
            drawing.add(String(x0 + 5, y, str(number), fontName=FONT_BOLD, fontSize=6.2,
                               fillColor=colors.HexColor("#1f3a5f"), textAnchor="middle"))
            drawing.add(String(x0 + 16, y, shorten(name, 7.5, legend_w - 60), fontName=FONT,
                               fontSize=7.5))
            drawing.add(String(width - 2, y, figure, fontName=FONT_BOLD, fontSize=7.5,
                               textAnchor="end"))
            y -= 13
    return drawing


Point = tuple[float, float]


def _zone_edges(polygons: Mapping[str, tuple[Ring, ...]],
                zones: Mapping[str, str]) -> list[tuple[Point, Point]]:
    """The edges on a zone's outline: those of one district only (the coast, the edge of
    the map) and those shared by districts of different zones."""
    seen: dict[frozenset[Point], set[str]] = {}
    ends: dict[frozenset[Point], tuple[Point, Point]] = {}
    for ubigeo, rings in polygons.items():
        zone = zones.get(ubigeo, ubigeo)
        for ring in rings:
            for a, b in itertools.pairwise(ring):
                key = frozenset((a, b))
                seen.setdefault(key, set()).add(zone)
                ends[key] = (a, b)
    uses: dict[frozenset[Point], int] = {}
    for rings in polygons.values():
        for ring in rings:
            for a, b in itertools.pairwise(ring):
                key = frozenset((a, b))
                uses[key] = uses.get(key, 0) + 1
    return [ends[key] for key, zone_set in seen.items()
            if len(zone_set) > 1 or uses[key] == 1]


def _label_spot(text: str, members: list[str], polygons: Mapping[str, tuple[Ring, ...]],
                xy: Callable[[float, float], Point],
                taken: list[tuple[float, float, float, float]]) -> Point | None:
    """Where to write a zone's name: the middle of its districts, or the nearest place
    around it (inside the zone) that covers no marker and no other name."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    points = [xy(lon, lat) for u in members for ring in polygons[u] for lon, lat in ring]
    cx = sum(p[0] for p in points) / len(points)
    cy = sum(p[1] for p in points) / len(points)
    half = stringWidth(text, FONT_BOLD, 7) / 2
    shapes = [[xy(lon, lat) for lon, lat in ring] for u in members for ring in polygons[u]]
    for radius in (0.0, 10.0, 20.0, 30.0, 45.0, 60.0):
        for dx, dy in ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1),
                       (-1, 1)):
            if radius == 0 and (dx or dy):
                continue
            x, y = cx + dx * radius, cy + dy * radius
            box = (x - half - 1, y - 2, x + half + 1, y + 7)
            if any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3]
                   for t in taken):
                continue
            if not any(_inside((x, y + 2.5), shape) for shape in shapes):
                continue
            taken.append(box)
            return x, y
    return None


def _inside(point: Point, shape: list[Point]) -> bool:
    """Ray casting: is ``point`` inside the polygon ``shape``?"""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise([*shape, shape[0]]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _wrap(text: str, width: float, size: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return list(simpleSplit(text, FONT, size, width))


__all__ = ["CLASS_COLORS", "NO_DATA", "class_bounds", "class_color", "class_labels",
           "district_map_drawing"]

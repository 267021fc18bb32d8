"""District boundaries of Lima and Callao and Lima's zones, read from the bundled files.

Qt-free. ``resources/geo/joseluisq_lima_callao_distritos_simple.geojson`` has no ubigeo
property: each feature is joined to ``districts.csv`` by its ``distrito`` name (the column
``name_in_joseluisq_geojson_distrito``, which also carries the file's broken spelling of
Mi Perú).

**Zones are configurable.** ``resources/catalogs/lima_zones.csv`` gives each district its
zone (Lima Norte, Lima Centro, Lima Este, Lima Sur, Callao). An office that groups its
districts differently puts its own ``lima_zones.csv`` in the **data folder** (beside
``oma.sqlite3``; the same columns: ``ubigeo_inei``, ``zona``, optionally ``distrito``,
``source`` and ``notes``); when that file exists it replaces the bundled one for the map,
the reports and the filters of that installation. A district missing from it has no zone
(«sin dato»). The file is read again when it changes.

**Cercado de Lima sectors** (:data:`CERCADO`): no boundaries of the sectors exist in the
bundled data, so they are never drawn; the person's free-text «Sector o zona» is counted
as a list instead (``services.mapping.sector_counts``).
"""

from __future__ import annotations

import csv
import json
import math
import re
from functools import cache
from pathlib import Path

from oma_desktop.core.catalogs import CatalogError, Catalogs
from oma_desktop.i18n import _
from oma_desktop.paths import resources_dir

GEOJSON_FILE = Path("geo") / "joseluisq_lima_callao_distritos_simple.geojson"
ZONES_FILE = Path("catalogs") / "lima_zones.csv"
# the name of the data folder's own zones file, which replaces the bundled one
ZONES_OVERRIDE = "lima_zones.csv"
ZONES = ("Lima Norte", "Lima Centro", "Lima Este", "Lima Sur", "Callao")
CERCADO = "150101"  # Cercado de Lima: the district whose sectors are counted
_UBIGEO = re.compile(r"\d{6}")

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points, first == last

# --- drawing and shading the districts: the Mapa page and the PDF report's map -------------
LAT0 = -12.05  # the projection's reference latitude (central Lima): x = lon·cos(LAT0), y = lat
NO_DATA_COLOR = "#ffffff"  # a district without records
CLASS_COLORS = ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")  # lightest first


def class_bounds(maximum: int, *, merge_below: int = 0) -> tuple[int, ...]:
    """Upper bounds of up to five classes of equal width over 1..maximum. With
    ``merge_below`` (a partner document's smallest shown count, 5) the classes under it are
    merged into one «1 – merge_below-1», so the map never tells more than the tables."""
    if maximum <= 0:
        return ()
    bounds = tuple(sorted({math.ceil(maximum * k / 5) for k in range(1, 6)}))
    if merge_below and bounds[0] < merge_below:
        bounds = (merge_below - 1, *(b for b in bounds if b >= merge_below))
    return bounds


def class_colors(bounds: tuple[int, ...]) -> tuple[str, ...]:
    """The colour of each class of ``bounds``; with few classes the darkest stay for the top."""
    return CLASS_COLORS[len(CLASS_COLORS) - len(bounds):]


def class_color(count: int, bounds: tuple[int, ...]) -> str:
    """The fill of a district with ``count`` records («#rrggbb»)."""
    if count <= 0 or not bounds:
        return NO_DATA_COLOR
    for color, upper in zip(class_colors(bounds), bounds, strict=True):
        if count <= upper:
            return color
    return CLASS_COLORS[-1]


@cache
def _features(path: Path) -> tuple[tuple[str, tuple[Ring, ...]], ...]:
    """(distrito name, outer rings) per feature; parsed once per file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: list[tuple[str, tuple[Ring, ...]]] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        rings = tuple(tuple((float(p[0]), float(p[1])) for p in polygon[0])
                      for polygon in polygons)
        out.append((str(feature["properties"]["distrito"]), rings))
    return tuple(out)


def district_polygons(catalogs: Catalogs, path: Path | None = None) -> dict[str, tuple[Ring, ...]]:
    """The outer rings of each district, keyed by INEI ubigeo."""
    by_name = {d.geo_name_joseluisq: d.ubigeo for d in catalogs.districts}
    out: dict[str, tuple[Ring, ...]] = {}
    for name, rings in _features(path or resources_dir() / GEOJSON_FILE):
        ubigeo = by_name.get(name)
        if ubigeo is None:
            raise ValueError(f"district {name!r} of the map is not in districts.csv")
        out[ubigeo] = out.get(ubigeo, ()) + rings
    return out


def zones_file(data_dir: Path | None = None) -> Path:
    """The zones file in force: ``data_dir/lima_zones.csv`` when it exists, else the
    bundled ``resources/catalogs/lima_zones.csv``."""
    if data_dir is not None:
        own = Path(data_dir) / ZONES_OVERRIDE
        if own.is_file():
            return own
    return resources_dir() / ZONES_FILE


@cache
def _zones(path: Path, _version: tuple[int, int]) -> tuple[tuple[str, str], ...]:
    """(ubigeo, zone) rows of ``path``, in file order; cached per file version."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = {"ubigeo_inei", "zona"} - set(reader.fieldnames or ())
            if missing:
                raise CatalogError(_(
                    "The zones file {file} lacks the column(s) {columns}. It needs the "
                    "columns ubigeo_inei and zona, as in the file bundled with the "
                    "program.").format(file=path, columns=", ".join(sorted(missing))))
            rows: list[tuple[str, str]] = []
            seen: set[str] = set()
            for number, row in enumerate(reader, start=2):
                ubigeo = (row["ubigeo_inei"] or "").strip()
                zone = " ".join((row["zona"] or "").split())
                if not ubigeo and not zone:
                    continue
                if not _UBIGEO.fullmatch(ubigeo) or not zone or ubigeo in seen:
                    raise CatalogError(_(
                        "Line {line} of the zones file {file} is not valid: each line needs "
                        "a six-digit ubigeo, given once, and the name of its zone. Correct "
                        "the line or delete the file to use the bundled zones.").format(
                            line=number, file=path))
                seen.add(ubigeo)
                rows.append((ubigeo, zone))
    except UnicodeDecodeError as exc:
        raise CatalogError(_(
            "The zones file {file} is not UTF-8 text. Save it from Excel as «CSV UTF-8» "
            "or delete it to use the bundled zones.").format(file=path)) from exc
    return tuple(rows)


def _zone_rows(path: Path | None, data_dir: Path | None) -> tuple[tuple[str, str], ...]:
    chosen = path or zones_file(data_dir)
    stat = chosen.stat()
    return _zones(chosen, (stat.st_mtime_ns, stat.st_size))


def district_zones(path: Path | None = None, *, data_dir: Path | None = None,
                   ) -> dict[str, str]:
    """The zone of each district ubigeo, from ``path``, or else from the zones file in
    force for the data folder ``data_dir`` (see :func:`zones_file`)."""
    return dict(_zone_rows(path, data_dir))


def zone_names(path: Path | None = None, *, data_dir: Path | None = None) -> tuple[str, ...]:
    """The zones of the file in force: those of :data:`ZONES` it uses, in that order, then
    any other zone in the order the file first names it."""
    used = list(dict.fromkeys(zone for _ubigeo, zone in _zone_rows(path, data_dir)))
    return tuple([z for z in ZONES if z in used] + [z for z in used if z not in ZONES])

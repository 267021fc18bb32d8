"""District boundaries of Lima and Callao and Lima's zones, read from the bundled files.

Qt-free. ``resources/geo/joseluisq_lima_callao_distritos_simple.geojson`` has no ubigeo
property: each feature is joined to ``districts.csv`` by its ``distrito`` name (the column
``name_in_joseluisq_geojson_distrito``, which also carries the file's broken spelling of
Mi Perú). ``resources/catalogs/lima_zones.csv`` gives each district its zone.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.paths import resources_dir

GEOJSON_FILE = Path("geo") / "joseluisq_lima_callao_distritos_simple.geojson"
ZONES_FILE = Path("catalogs") / "lima_zones.csv"
ZONES = ("Lima Norte", "Lima Centro", "Lima Este", "Lima Sur", "Callao")

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points, first == last


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


@cache
def _zones(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["ubigeo_inei"]: row["zona"] for row in csv.DictReader(f)}


def district_zones(path: Path | None = None) -> dict[str, str]:
    """The zone (one of :data:`ZONES`) of each district ubigeo."""
    return dict(_zones(path or resources_dir() / ZONES_FILE))

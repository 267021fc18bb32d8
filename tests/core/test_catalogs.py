"""The bundled reference catalogs and their loader (no Qt)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from oma_desktop.core.catalogs import (
    CatalogError,
    Catalogs,
    load_catalogs,
    normalize_document_number,
)
from oma_desktop.paths import resources_dir

REAL_RESOURCES = resources_dir()
CATALOG_FILES = (
    "districts.csv",
    "document_types.csv",
    "axes.csv",
    "r4v_sectors.csv",
    "topics.csv",
    "casas.csv",
    "institutions.csv",
)


@pytest.fixture(scope="module")
def cat() -> Catalogs:
    return load_catalogs()


# --------------------------------------------------------------------------- content


def test_every_catalog_file_is_utf8_with_a_source_on_every_row() -> None:
    for name in CATALOG_FILES:
        path = REAL_RESOURCES / "catalogs" / name
        text = path.read_bytes().decode("utf-8")  # raises if not UTF-8
        rows = list(csv.DictReader(text.splitlines()))
        assert rows, name
        assert all(row["source"].strip() for row in rows), name


def test_districts_are_43_lima_and_7_callao(cat: Catalogs) -> None:
    lima = [d for d in cat.districts if d.ubigeo.startswith("1501")]
    callao = [d for d in cat.districts if d.ubigeo.startswith("0701")]
    assert len(lima) == 43
    assert len(callao) == 7
    assert len(cat.districts) == 50
    assert {d.province for d in lima} == {"Lima"}
    assert {d.department for d in callao} == {"Callao"}
    assert "150144" not in {d.ubigeo for d in cat.districts}  # uncertain row left out


def test_district_names_and_codes(cat: Catalogs) -> None:
    cercado = cat.district("150101")
    assert cercado.name == "Cercado de Lima"
    assert cercado.label("en") == "Cercado de Lima"
    assert cercado.reniec == "140101"
    assert cercado.latitude == pytest.approx(-12.045, abs=0.01)
    assert cercado.longitude == pytest.approx(-77.031, abs=0.01)
    assert cat.district("070101").name == "Callao"  # leading zero kept
    assert cat.district("070101").reniec == "240101"
    expected = {
        "150135": "San Martín de Porres",
        "150113": "Jesús María",
        "150105": "Breña",
        "150128": "Rímac",
        "150103": "Ate",
        "070107": "Mi Perú",
        "150121": "Pueblo Libre",
        "070103": "Carmen de la Legua Reynoso",
    }
    for ubigeo, name in expected.items():
        assert cat.district(ubigeo).name == name
    # GeoJSON join names as written in each map file.
    assert cat.district("150121").geo_name_juaneladio == "MAGDALENA VIEJA"
    assert cat.district("150121").geo_name_joseluisq == "PUEBLO LIBRE"
    assert cat.district("070107").geo_name_juaneladio == ""
    assert cat.district("070107").geo_name_joseluisq == "MI PERÃz"
    with pytest.raises(KeyError):
        cat.district("150144")


def test_axes(cat: Catalogs) -> None:
    assert [a.code for a in cat.axes] == [
        "PLAN",
        "GENERO",
        "LABORAL",
        "CRISIS",
        "VULNERABLES",
        "INTEGRACION",
    ]
    assert cat.axis("CRISIS").name_es == "Gestión de la migración en situaciones de crisis"
    assert cat.axis("INTEGRACION").label("en") == "Integration"


def test_casas(cat: Catalogs) -> None:
    assert [c.code for c in cat.casas] == [f"CV{i}" for i in range(1, 7)]
    assert cat.casa("CV3").name == "Casa Vecinal 3"
    assert all(c.address == "" for c in cat.casas)  # never invented
    assert all("NOT FOUND" in c.source for c in cat.casas)


def test_document_types(cat: Catalogs) -> None:
    assert [d.code for d in cat.document_types] == [
        "DNI",
        "CE",
        "PTP",
        "CPP",
        "CSR",
        "PASAPORTE",
        "CEDULA_VE",
        "OTRO",
        "NINGUNO",
    ]
    expires = {d.code: d.expires for d in cat.document_types}
    assert expires == {
        "DNI": True,
        "CE": True,
        "PTP": True,
        "CPP": True,
        "CSR": True,
        "PASAPORTE": True,
        "CEDULA_VE": True,
        "OTRO": False,
        "NINGUNO": False,
    }
    assert cat.document_type("CE").label("es") == "Carné de extranjería (CE)"
    assert cat.document_type("NINGUNO").label("es_PE") == "Sin documento"
    assert cat.document_type("NINGUNO").label("en_US") == "No document"


def test_dni_pattern(cat: Catalogs) -> None:
    dni = cat.document_type("DNI")
    assert dni.number_pattern == r"\d{8}"
    assert dni.matches("12345678")
    assert dni.matches(" 12.345.678 ")  # normalised before matching
    assert not dni.matches("1234567")
    assert not dni.matches("123456789")
    assert not dni.matches("1234567A")
    assert not dni.matches("")


def test_csr_and_other_patterns(cat: Catalogs) -> None:
    csr = cat.document_type("CSR")
    assert csr.matches("123456789")
    assert csr.matches("123-456-789")
    assert not csr.matches("12345678")
    assert not csr.matches("12345678X")
    ce = cat.document_type("CE")  # sources disagree: permissive 1-12 alphanumerics
    assert ce.matches("001234567")
    assert ce.matches("ab12")
    assert not ce.matches("1234567890123")
    passport = cat.document_type("PASAPORTE")
    assert passport.matches("ve-123456")
    assert not passport.matches("Ñ123")
    for code in ("PTP", "CPP", "CEDULA_VE", "OTRO", "NINGUNO"):
        doc = cat.document_type(code)
        assert doc.number_pattern == ""
        assert doc.matches("anything 123")


def test_normalize_document_number() -> None:
    assert normalize_document_number("001-234.567") == "001234567"
    assert normalize_document_number(" ab 12/34 ") == "AB1234"
    assert normalize_document_number("12\u201334") == "1234"  # en dash pasted from a document
    assert normalize_document_number("") == ""


def test_r4v_sectors(cat: Catalogs) -> None:
    codes = {s.code for s in cat.r4v_sectors}
    assert {"INTEGRATION", "PROTECTION", "HEALTH", "EDUCATION", "FOOD_SECURITY"} <= codes
    kinds = {s.kind for s in cat.r4v_sectors}
    assert kinds == {"sector", "sub-sector", "cross-cutting"}
    subs = [s for s in cat.r4v_sectors if s.kind == "sub-sector"]
    assert {s.name_es for s in subs} == {
        "Protección de la niñez",
        "Violencia basada en género",
        "Trata y tráfico de personas",
    }
    assert all(s.parent == "PROTECTION" for s in subs)
    assert cat.r4v_sector("CVA").kind == "cross-cutting"
    assert cat.r4v_sector("HEALTH").label("es") == "Salud"


def test_topics_map_to_known_axes_and_sectors(cat: Catalogs) -> None:
    assert 20 <= len(cat.topics) <= 26
    axes = {a.code for a in cat.axes}
    sectors = {s.code for s in cat.r4v_sectors}
    for topic in cat.topics:
        assert topic.axis in axes, topic.code
        assert topic.r4v_sector in sectors, topic.code
        assert 0 < len(topic.name_es) <= 40, topic.code
        assert topic.name_en, topic.code
    for axis in cat.axes:
        assert cat.topics_for_axis(axis.code), f"axis {axis.code} has no topic"
    assert [t.order for t in cat.topics] == sorted(t.order for t in cat.topics)
    assert cat.topic("SALUD_SIS").r4v_sector == "HEALTH"


def test_topic_demo_weights_follow_surveyed_needs(cat: Catalogs) -> None:
    weight = {t.code: t.demo_weight for t in cat.topics}
    top = [
        "EMPLEO_CAPACITACION",
        "EMPLEO_COLOCACION",
        "ALIMENTACION",
        "VIVIENDA_ALQUILER",
        "SALUD_SIS",
    ]
    assert [weight[c] for c in top] == sorted((weight[c] for c in top), reverse=True)
    assert len({weight[c] for c in top}) == len(top)
    regularisation = [c for c in weight if c.startswith("REG_")]
    assert regularisation
    rest = [c for c in weight if c not in top and c not in regularisation]
    assert min(weight[c] for c in top) > max(weight[c] for c in regularisation)
    assert min(weight[c] for c in regularisation) > max(weight[c] for c in rest)
    assert all(w > 0 for w in weight.values())


def test_institutions_keep_not_found_markers(cat: Catalogs) -> None:
    assert len(cat.institutions) == 28
    codes = [i.code for i in cat.institutions]
    assert len(set(codes)) == len(codes)
    assert all(c == c.upper() and " " not in c for c in codes)
    migraciones = cat.institution("MIGRACIONES")
    assert "Av. España 734" in migraciones.address
    assert migraciones.phone_email == "not found"
    assert "NOT FOUND" in cat.institution("DEMUNA").address
    assert cat.institution("ACNUR").label("es") == "ACNUR Perú"


def test_load_is_cached_per_folder(tmp_path: Path, cat: Catalogs) -> None:
    assert load_catalogs() is cat
    assert load_catalogs(REAL_RESOURCES) is cat
    assert load_catalogs(REAL_RESOURCES / "catalogs") is cat
    copy = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, copy)
    other = load_catalogs(copy)
    assert other is not cat
    assert other == cat


def test_rows_are_sorted_by_order_column(tmp_path: Path) -> None:
    root = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, root)

    def reverse(rows: list[list[str]]) -> None:
        rows[1:] = rows[:0:-1]

    for name in ("axes.csv", "topics.csv", "document_types.csv"):
        _edit_csv(root / "catalogs" / name, reverse)
    loaded = load_catalogs(root)
    assert loaded.axes[0].code == "PLAN"
    assert [t.code for t in loaded.topics] == [t.code for t in load_catalogs().topics]
    assert loaded.document_types[0].code == "DNI"


# --------------------------------------------------------------------------- errors


def _edit_csv(path: Path, edit: Callable[[list[list[str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _set(column: str, value: str, row: int = 1) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[row][rows[0].index(column)] = value

    return edit


def _drop_column(column: str) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for r in rows:
            del r[index]

    return edit


def _repeat_row(source: int, target: int) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[target] = list(rows[source])

    return edit


@pytest.mark.parametrize(
    ("file", "edit", "expected"),
    [
        ("districts.csv", _drop_column("latitude"), "missing required column(s): latitude"),
        ("topics.csv", _drop_column("source"), "missing required column(s): source"),
        ("axes.csv", _set("source", "  ", row=2), "row 2 (line 3): empty 'source'"),
        ("institutions.csv", _set("source", "", row=5), "empty 'source'"),
        ("topics.csv", _repeat_row(1, 3), "repeated code 'ORIENTACION'"),
        ("axes.csv", _set("code", "PLAN", row=2), "repeated code 'PLAN'"),
        ("document_types.csv", _set("code", "DNI", row=9), "repeated code 'DNI'"),
        ("districts.csv", _set("ubigeo", "070102", row=1), "repeated ubigeo '070102'"),
        ("topics.csv", _set("axis", "NO_SUCH_AXIS", row=4), "unknown axis 'NO_SUCH_AXIS'"),
        ("topics.csv", _set("r4v_sector", "NOPE", row=4), "unknown r4v_sector 'NOPE'"),
        ("districts.csv", _set("ubigeo", "70101", row=1), "ubigeo must be 6 digits"),
        ("districts.csv", _set("ubigeo", "15O101", row=8), "ubigeo must be 6 digits"),
        ("districts.csv", _set("latitude", "abc", row=3), "'latitude' is not a number"),
        ("document_types.csv", _set("number_pattern", "[0-9", row=1), "invalid number_pattern"),
        ("document_types.csv", _set("expires", "yes", row=1), "must be 0 or 1"),
        ("topics.csv", _set("demo_weight", "-1", row=1), "'demo_weight' must be >= 0"),
        ("r4v_sectors.csv", _set("parent", "NOPE", row=3), "unknown parent sector 'NOPE'"),
        ("r4v_sectors.csv", _set("kind", "cluster", row=1), "kind must be one of"),
        ("casas.csv", _set("name", "", row=6), "empty 'name'"),
        ("institutions.csv", _set("district_ubigeo", "150199", row=1),
         "unknown district_ubigeo '150199'"),
        ("institutions.csv", _set("address_es", "", row=1), "a district_ubigeo but no address_es"),
        ("institutions.csv", _set("checked_on", "2/12/2026", row=1), "must be a date"),
        ("institutions.csv", _set("kind_es", "", row=1), "empty 'kind_es'"),
    ],
)
def test_broken_catalog_raises_naming_the_file(
    tmp_path: Path,
    file: str,
    edit: Callable[[list[list[str]]], None],
    expected: str,
) -> None:
    root = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, root)
    _edit_csv(root / "catalogs" / file, edit)
    with pytest.raises(CatalogError) as info:
        load_catalogs(root)
    message = str(info.value)
    assert message.startswith(file), message
    assert expected in message, message


def test_error_names_the_row(tmp_path: Path) -> None:
    root = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, root)
    _edit_csv(root / "catalogs" / "topics.csv", _set("axis", "X", row=7))
    with pytest.raises(CatalogError, match=r"^topics\.csv, row 7 \(line 8\): "):
        load_catalogs(root)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    root = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, root)
    (root / "catalogs" / "casas.csv").unlink()
    with pytest.raises(CatalogError, match=r"^casas\.csv: file not found"):
        load_catalogs(root)
    (root / "catalogs" / "casas.csv").write_bytes(b"code,name,address,source\nCV1,Casa \xf1,,x\n")
    with pytest.raises(CatalogError, match=r"^casas\.csv: not valid UTF-8"):
        load_catalogs(root)


def test_ragged_row(tmp_path: Path) -> None:
    root = tmp_path / "resources"
    shutil.copytree(REAL_RESOURCES, root)
    path = root / "catalogs" / "axes.csv"
    path.write_text(path.read_text(encoding="utf-8") + "EXTRA,a,b\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"^axes\.csv, row 7 .*fewer fields"):
        load_catalogs(root)


def test_catalog_error_is_a_value_error() -> None:
    assert issubclass(CatalogError, ValueError)

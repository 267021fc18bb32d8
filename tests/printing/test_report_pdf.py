"""Reports as PDF (issue #11, points 1, 3 and 7): what the pages say, that their charts and
map are drawn by reportlab.graphics, and that nothing runs off the paper.

Documents are built by hand (a map, every chart kind, a table over several pages, a table
too wide for the page) and from a demo's real general report, whose headline figures are
checked against counts made here from the demo's rows.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from acting import act_as
from PIL import Image
from pypdf import PdfReader
from reporting_helpers import DEMO_TODAY

from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.geo import district_polygons
from oma_desktop.i18n import format_number
from oma_desktop.paths import resources_dir
from oma_desktop.printing import report_pdf
from oma_desktop.printing.report_charts import table_chart
from oma_desktop.printing.report_map import (
    CLASS_COLORS,
    NO_DATA,
    class_bounds,
    district_map_drawing,
)
from oma_desktop.printing.report_pdf import CasaHeader, cell_text, render_report_pdf
from oma_desktop.services.context import open_context
from oma_desktop.services.report_export import partner_view, write_report_pdf
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.report_model import Column, ReportDocument, Section, Table, count_rows
from oma_desktop.services.reports import build_report
from tests.printing.conftest import pdf_text, render_png, squash

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
MM = 72 / 25.4


def _catalogs() -> Any:
    return load_catalogs()


def _count_table(key: str, title: str, label: str, counts: dict[str, int], **kw: Any) -> Table:
    rows, total = count_rows([(k, k) for k in counts], counts)
    return Table(key, title, [Column("category", label, "text"), Column("count", "Personas"),
                              Column("percent", "%", "percent")], rows, total, **kw)


def district_counts() -> dict[str, int]:
    """A count for every district (0 for every fifth), plus one outside Lima and Callao."""
    counts = {d.ubigeo: (0 if i % 5 == 0 else 3 * i + 1)
              for i, d in enumerate(_catalogs().districts)}
    counts["040101"] = 6  # Arequipa: not on the map
    return counts


def hand_doc() -> ReportDocument:
    cat = _catalogs()
    districts = district_counts()
    names = {d.ubigeo: d.name for d in cat.districts}
    by_district = Table(
        "by_district", "Personas por distrito de residencia",
        [Column("category", "Distrito", "text"), Column("count", "Personas")],
        [[names.get(u, "Arequipa"), n] for u, n in sorted(districts.items(),
                                                          key=lambda kv: -kv[1])],
        ["Total", sum(districts.values())])
    by_age = _count_table("by_age_band", "Personas atendidas por grupo de edad", "Grupo de edad",
                          {"0 a 5 años": 12, "6 a 11 años": 3, "12 a 17 años": 25,
                           "18 a 59 años": 410, "60 años o más": 37, "Sin dato": 0},
                          chart="bar")
    by_sex = _count_table("by_sex", "Personas atendidas por sexo", "Sexo",
                          {"Mujer": 300, "Hombre": 180, "Otro / prefiere no decir": 7},
                          chart="pie")
    topics = {t.label(): (i * 7) % 45 for i, t in enumerate(cat.topics)}
    by_topic = _count_table("by_topic", "Atenciones por tema", "Tema", topics, chart="hbar",
                            note="Una atención puede tratar varios temas.")
    referrals = Table(
        "referrals", "Derivaciones por destino y resultado",
        [Column("category", "Destino", "text"), Column("issued", "Emitidas"),
         Column("attended", "Atendidas"), Column("not", "No atendidas"),
         Column("rejected", "Rechazadas"), Column("pending", "Sin resultado aún"),
         Column("share", "Atendidas (%)", "percent"),
         Column("days", "Mediana de días hasta el resultado", "days")],
        [["Encuentros - Servicio Jesuita a Migrantes (SJM Perú) / Clínica Jurídica Pedro "
          "Arrupe SJ", 40, 31, 4, 1, 4, 86.1, 6.0],
         ["Superintendencia Nacional de Migraciones (MIGRACIONES)", 25, 12, 8, 0, 5, 60.0, 14.5],
         ["Ministerio de Trabajo y Promoción del Empleo (MTPE)", 3, 2, 0, 0, 1, 100.0, 9.0]],
        ["Total", 68, 45, 12, 1, 10, 77.6, 7.0], chart="hbar",
        chart_columns=("issued", "attended"))
    wide_columns = [Column(k, k, "text") for k in ("Country.Country", "Admin1", "District",
                                                    "Month", "Indicator.Sector",
                                                    "Activity.Name", "Empty.Field")]
    wide_columns += [Column(f"{who}.{age}", f"{who}.{age}") for who in ("Women", "Men", "Other")
                     for age in ("under.18", "above.18")]
    wide_columns += [Column(k, k) for k in ("Quantity.of.output", "Total.monthly.beneficiaries",
                                            "New.beneficiaries.of.the.month",
                                            "Refugees.and.Migrants.IN.DESTINATION",
                                            "Host.Communities.Beneficiaries")]
    wide_rows = [["Peru", "Lima", district, month, sector,
                  f"Orientación sobre {sector.lower()} en {district}", "",
                  i % 3, i % 4, 0, i % 5, 0, 0, i + 1, i + 2, i % 2, i, 1]
                 for i, (district, month, sector) in enumerate(itertools.product(
                     ("Ate", "Cercado de Lima", "San Juan de Lurigancho"),
                     ("2026-10", "2026-11"), ("Integration", "Protection")))]
    five_w = Table("five_w", "5W: quién, qué, dónde, cuándo y para quién", wide_columns,
                   wide_rows)
    return ReportDocument(
        "general", "Reporte general de atención", dt.date(2026, 11, 1), TODAY,
        "Casa Vecinal 3 — Cercado de Lima", ["Nacionalidad: Venezuela"],
        [Section("Dónde vive la población", [by_district], intro="Personas con domicilio.",
                 district_map=districts, map_title="Personas registradas por distrito"),
         Section("Personas atendidas", [by_age, by_sex]),
         Section("Atenciones", [by_topic]),
         Section("Derivaciones", [referrals]),
         Section("Exportación 5W", [five_w])],
        ["Edades al último día del periodo.", "Fuente: OMA Desktop."],
        generated_at=dt.datetime(2026, 12, 1, 9, 30))


def _pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(image.crop(box).histogram()[:200])


def _check_margins(pdf: Path, out: Path) -> list[Path]:
    """Every page rendered: nothing printed in the outer 4 mm at top and bottom (the running
    header and the foot sit inside), nor within 11 mm of the sides (the margin is 12 mm)."""
    out = out / f"png-{pdf.stem}"
    out.mkdir()
    pngs = render_png(pdf, 50, out)
    assert len(pngs) == len(PdfReader(str(pdf)).pages)
    for png in pngs:
        image = Image.open(png).convert("L")
        width, height = image.size
        px = 50 / 25.4
        top, side = round(4 * px), round(11 * px)
        for box in ((0, 0, width, top), (0, height - top, width, height),
                    (0, 0, side, height), (width - side, 0, width, height)):
            assert _ink(image, box) == 0, f"ink in the margin {box} of {png.name}"
    return pngs


# --- the pages say what the document says --------------------------------------------------


def test_title_scope_period_sections_and_figures(tmp_path: Path) -> None:
    doc = hand_doc()
    pdf = render_report_pdf(doc, tmp_path / "reporte.pdf",
                            casa=CasaHeader("Casa Vecinal N.° 3", "Jr. Conde de Superunda 141"))
    pages = _pages(pdf)
    flat = squash("\n".join(pages))
    for text in ("Municipalidad Metropolitana de Lima", "Casa Vecinal N.° 3",
                 "Reporte general de atención", "Ámbito", "Casa Vecinal 3 — Cercado de Lima",
                 "Período", "del 01/11/2026 al 30/11/2026", "Filtros", "Nacionalidad: Venezuela",
                 "Generado el", "01/12/2026 09:30", "Observaciones",
                 "Edades al último día del periodo."):
        assert squash(text) in flat, text
    for s, section in enumerate(doc.sections, start=1):
        assert squash(f"{s}. {section.title}") in flat
        for t, table in enumerate(section.tables, start=1):
            assert squash(f"{s}.{t} {table.title}") in flat
    # every row of the ordinary tables, its figures in Peruvian format, in order
    for key in ("by_district", "by_age_band", "by_sex", "by_topic", "referrals"):
        table = doc.table(key)
        assert table.total is not None
        for row in [*table.rows, table.total]:
            line = "".join(cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=True))
            assert squash(line) in flat, (key, row)
    assert squash("Total" + format_number(sum(district_counts().values()))) in flat
    # «Página X de Y» on each page
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text
    assert "PARA SOCIOS" not in flat


def test_a_long_table_repeats_its_header_on_the_next_page(tmp_path: Path) -> None:
    doc = hand_doc()
    pages = _pages(render_report_pdf(doc, tmp_path / "r.pdf"))
    table = doc.table("by_district")
    holding = [i for i, text in enumerate(pages)  # (the first ten are also in the map's legend)
               if any(squash(str(r[0]) + format_number(r[1])) in squash(text)
                      for r in table.rows[10:])]
    assert len(holding) >= 2  # the table spans pages...
    for i in holding:
        assert "DistritoPersonas" in squash(pages[i])  # ...with its header on each


def test_a_table_too_wide_for_the_page_is_printed_row_by_row(tmp_path: Path) -> None:
    doc = hand_doc()
    pdf = render_report_pdf(doc, tmp_path / "r.pdf")
    flat = squash(pdf_text(pdf))
    assert squash("En todas las filas: Country.Country: Peru; Admin1: Lima") in flat
    assert "Empty.Field" not in flat  # empty in every row
    for row in doc.table("five_w").rows:
        assert squash(f"District: {row[2]} · Month: {row[3]} · Indicator.Sector: {row[4]}") \
            in flat
    _check_margins(pdf, tmp_path)


def test_nothing_runs_off_the_page(tmp_path: Path) -> None:
    pdf = render_report_pdf(hand_doc(), tmp_path / "r.pdf")
    _check_margins(pdf, tmp_path)


def test_the_margin_check_sees_a_table_wider_than_the_page(tmp_path: Path) -> None:
    """The check above can fail: a table drawn wider than the frame is caught."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate
    from reportlab.platypus import Table as Grid

    pdf = tmp_path / "bad.pdf"
    SimpleDocTemplate(str(pdf), pagesize=A4, leftMargin=12 * MM, rightMargin=12 * MM).build(
        [Grid([["x" * 10] * 12], colWidths=[60] * 12)])
    with pytest.raises(AssertionError, match="margin"):
        _check_margins(pdf, tmp_path)


def test_every_font_is_embedded(tmp_path: Path) -> None:
    reader = PdfReader(str(render_report_pdf(hand_doc(), tmp_path / "r.pdf")))
    seen = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            descendant = (font["/DescendantFonts"][0].get_object()
                          if "/DescendantFonts" in font else font)
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
            seen.add(str(font["/BaseFont"]))
    assert seen


# --- charts and map --------------------------------------------------------------------------


def _drawing(table: Table) -> Any:
    chart = table_chart(table, 500)
    assert chart is not None
    return chart[0]


def test_charts_are_reportlab_graphics(tmp_path: Path) -> None:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.charts.piecharts import Pie

    doc = hand_doc()
    kinds = {"by_age_band": VerticalBarChart, "by_sex": Pie, "by_topic": HorizontalBarChart,
             "referrals": HorizontalBarChart}
    for key, kind in kinds.items():
        chart = table_chart(doc.table(key), 500)
        assert chart is not None
        drawing, _caption = chart
        widgets = [c for c in drawing.contents if isinstance(c, kind)]
        assert len(widgets) == 1, key
        assert drawing.width <= 500
    bars = next(c for c in _drawing(doc.table("by_age_band")).contents
                if isinstance(c, VerticalBarChart))
    assert list(bars.data[0]) == [r[1] for r in doc.table("by_age_band").rows]
    pie = next(c for c in _drawing(doc.table("by_sex")).contents if isinstance(c, Pie))
    assert sorted(pie.data) == sorted(r[1] for r in doc.table("by_sex").rows)
    # the topic chart keeps the 20 largest of its rows, and says so
    topics = doc.table("by_topic")
    chart = table_chart(topics, 500)
    assert chart is not None
    drawing, caption = chart
    hbar = next(c for c in drawing.contents if isinstance(c, HorizontalBarChart))
    largest = sorted((r[1] for r in topics.rows), reverse=True)[:20]
    assert sorted(hbar.data[0], reverse=True) == largest
    assert caption == f"Las 20 categorías más numerosas de {len(topics.rows)}."
    # on the page: the pie's legend with each share, the bars' category names
    flat = squash(pdf_text(render_report_pdf(doc, tmp_path / "r.pdf")))
    assert squash("Mujer300(61.6%)") in flat
    assert flat.count(squash("60 años o más")) == 2  # in the table and under its bar


def test_a_table_without_a_chart_hint_or_figures_has_no_chart() -> None:
    plain = _count_table("t", "T", "C", {"A": 1, "B": 2})
    assert table_chart(plain, 500) is None
    zeros = _count_table("z", "Z", "C", {"A": 0, "B": 0}, chart="bar")
    assert table_chart(zeros, 500) is None


def test_the_map_shades_each_district_by_its_class() -> None:
    from reportlab.graphics.shapes import Polygon

    counts = district_counts()
    cat = _catalogs()
    drawing = district_map_drawing(counts, 520, catalogs=cat)
    polygons = district_polygons(cat)
    shapes = [s for s in drawing.contents if isinstance(s, Polygon)]
    assert len(shapes) == sum(len(rings) for rings in polygons.values())
    on_map = {u: n for u, n in counts.items() if u in polygons}
    bounds = class_bounds(max(on_map.values()))
    index = 0
    for ubigeo, rings in polygons.items():
        n = on_map.get(ubigeo, 0)
        expected = NO_DATA if n == 0 else CLASS_COLORS[next(
            i for i, upper in enumerate(bounds) if n <= upper)]
        for _ring in rings:
            assert shapes[index].fillColor.hexval()[2:] == expected.lstrip("#").lower(), ubigeo
            index += 1
    assert drawing.width == 520 and drawing.height <= 490


def test_the_map_names_the_zones_it_is_given() -> None:
    from reportlab.graphics.shapes import String

    cat = _catalogs()
    zones = {d.ubigeo: ("Callao" if d.province == "Callao" else "Lima Metropolitana")
             for d in cat.districts}
    drawing = district_map_drawing(district_counts(), 520, catalogs=cat, zones=zones)
    texts = {s.text for s in drawing.contents if isinstance(s, String)}
    assert {"CALLAO", "LIMA METROPOLITANA"} <= texts
    assert "LIMA NORTE" not in texts


def test_map_classes_never_tell_partners_less_than_five() -> None:
    assert class_bounds(0) == ()
    assert class_bounds(10) == (2, 4, 6, 8, 10)
    assert class_bounds(10, for_partners=True) == (4, 6, 8, 10)
    assert class_bounds(3, for_partners=True) == (4,)
    assert class_bounds(100, for_partners=True) == class_bounds(100) == (20, 40, 60, 80, 100)


def test_the_map_legend_on_the_page(tmp_path: Path) -> None:
    doc = hand_doc()
    flat = squash(pdf_text(render_report_pdf(doc, tmp_path / "r.pdf")))
    for text in ("Personas registradas por distrito", "Leyenda", "Sin registros",
                 "Distritos con más registros", "LIMA NORTE", "CALLAO",
                 "Fuera del mapa (fuera de Lima y Callao o sin distrito): 6"):
        assert squash(text) in flat, text
    names = {d.ubigeo: d.name for d in _catalogs().districts}
    counts = {u: n for u, n in district_counts().items() if u in names and u != "040101"}
    top = sorted(counts, key=lambda u: (-counts[u], u))[:10]
    for number, ubigeo in enumerate(top, start=1):
        assert squash(f"{number}{names[ubigeo]}{format_number(counts[ubigeo])}") in flat


# --- partners, personal data, the file ------------------------------------------------------


def test_the_partner_version_is_marked_on_every_page(tmp_path: Path) -> None:
    doc = partner_view(hand_doc())
    pages = _pages(render_report_pdf(doc, tmp_path / "socios.pdf"))
    assert squash("PARA SOCIOS — las celdas con menos de 5 personas se muestran como «<5»") \
        in squash(pages[0])
    for text in pages:
        assert "Para socios: celdas menores a 5 suprimidas" in text
    flat = squash("\n".join(pages))
    assert squash("6 a 11 años<5") in flat
    assert squash("Las celdas suprimidas (menores a 5) no se grafican.") in flat


def test_a_personal_document_is_marked(tmp_path: Path) -> None:
    doc = ReportDocument("seguimiento", "Mapeo y seguimiento", TODAY, TODAY, "Casa Vecinal 1",
                         personal=True, sections=[Section("Personas", [Table(
                             "persons", "Personas", [Column("name", "Nombre", "text"),
                                                     Column("district", "Distrito", "text")],
                             [["Ana Pérez Quispe", "Ate"]])])])
    pages = _pages(render_report_pdf(doc, tmp_path / "seguimiento.pdf"))
    assert "CONTIENE DATOS PERSONALES" in pages[0]
    assert "Ana Pérez Quispe" in pages[0]
    assert "Datos personales: solo uso interno" in pages[-1]


def test_the_casa_logo_heads_the_first_page(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 60, 120)).save(buffer, format="PNG")
    pdf = render_report_pdf(hand_doc(), tmp_path / "r.pdf",
                            casa=CasaHeader("Casa Vecinal 3", "", buffer.getvalue()))
    resources: Any = PdfReader(str(pdf)).pages[0]["/Resources"]
    assert "/XObject" in resources


def test_a_failed_render_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    path = tmp_path / "reporte.pdf"
    path.write_bytes(b"old")

    def broken(*args: Any) -> None:
        raise RuntimeError("no")

    monkeypatch.setattr(report_pdf, "_build", broken)
    with pytest.raises(RuntimeError):
        render_report_pdf(hand_doc(), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["reporte.pdf"]


def test_the_file_is_created_like_any_other_file(tmp_path: Path) -> None:
    pdf = render_report_pdf(hand_doc(), tmp_path / "r.pdf")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert pdf.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


# --- the real general report -----------------------------------------------------------------


def test_the_general_report_as_pdf(demo: Path, tmp_path: Path) -> None:
    ctx = act_as(open_context(demo), "coordinacion")
    try:
        start, end = dt.date(2026, 6, 1), TODAY
        doc = build_report(ctx.session, "general", ReportFilter(start, end, casa_id="CV2"))
        rows = [r for r in ctx.session.store.rows(
            "SELECT * FROM consultation WHERE deleted = 0 AND casa_id = 'CV2'")
            if start.isoformat() <= r["occurred_at"][:10] <= end.isoformat()]
        referrals = [r for r in ctx.session.store.rows(
            "SELECT * FROM referral WHERE deleted = 0 AND casa_id = 'CV2'")
            if start.isoformat() <= r["issued_at"][:10] <= end.isoformat()]
        # the casa's letterhead, and the zones of an office's own lima_zones.csv on the map
        bundled = (resources_dir() / "catalogs" / "lima_zones.csv").read_text(encoding="utf-8")
        own = demo / "lima_zones.csv"
        own.write_text(bundled.replace(",Lima Sur,", ",Sur Lejano,"), encoding="utf-8")
        try:
            pdf = write_report_pdf(ctx.session, doc, tmp_path / "general.pdf", casa_id="CV2")
        finally:
            own.unlink()
        casa = str(ctx.session.store.one("SELECT name FROM casa WHERE id = 'CV2'")["name"])
    finally:
        ctx.close()
    attended = {r["person_id"] for r in rows if r["person_id"]}
    walk_ins = sum(1 for r in rows if not r["person_id"])
    assert rows and referrals
    assert ",Lima Sur," in bundled

    pages = _pages(pdf)
    assert squash(casa) in squash(pages[0].split("Ámbito")[0])  # in the letterhead
    assert "SUR LEJANO" in pages[next(i for i, t in enumerate(pages) if "Leyenda" in t)]
    assert "LIMA SUR" not in "".join(pages)
    flat = squash("\n".join(pages))
    # figures counted here from the demo's rows
    assert squash(f"Atenciones{format_number(len(rows))}") in flat
    assert squash(f"Personas atendidas{format_number(len(attended) + walk_ins)}") in flat
    assert squash(f"Derivaciones emitidas{format_number(len(referrals))}") in flat
    # and every row of every table the document has (the wide ones are printed row by row)
    for table in doc.tables():
        if len(table.columns) > 6:
            continue
        if not table.rows:  # an empty table says so instead of a grid of zeros
            assert squash("No hay datos para este periodo.") in flat
            continue
        for row in [*table.rows, *([table.total] if table.total else [])]:
            line = "".join(cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=True))
            assert squash(line) in flat, (table.key, row)
    for text in ("Reporte general de atención", "Resumen", "Personas atendidas", "Derivaciones",
                 "Leyenda"):
        assert squash(text) in flat, text
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text
    _check_margins(pdf, tmp_path)
    # the partner version of the real report renders too, marked
    partner = render_report_pdf(partner_view(doc), tmp_path / "socios.pdf")
    assert all("Para socios" in text for text in _pages(partner))
    _check_margins(partner, tmp_path)


def test_temporary_files_left_by_a_killed_writer_are_swept_after_an_hour(tmp_path: Path) -> None:
    """A program killed while writing leaves its hidden temporary file; the next report
    written to the same name removes those older than an hour, and no other file."""
    target = tmp_path / "reporte.pdf"
    old = tmp_path / ".reporte-0a1b2c3d.pdf"
    recent = tmp_path / ".reporte-99aa88bb.pdf"
    other = tmp_path / ".otro-0a1b2c3d.pdf"
    for path in (old, recent, other):
        path.write_bytes(b"")
    hours_ago = dt.datetime.now().timestamp() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    temp = report_pdf.temp_beside(target)
    assert not old.exists() and recent.exists() and other.exists() and temp.exists()

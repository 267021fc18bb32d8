"""Mapa: the districts drawn from the bundled boundaries, shaded by the filtered counts;
the zone level, hover and click details, zoom, the PNG picture (also without a window)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from acting import act_as
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from oma_desktop.core.geo import district_zones
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.mapa import page as map_page
from oma_desktop.ui.mapa.page import DistrictItem, MapPage
from oma_desktop.ui.mapa.picture import render_map_png
from oma_desktop.ui.mapa.shading import CLASS_COLORS, NO_DATA_COLOR

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

SJL, LIMA, ANCON, COMAS = "150132", "150101", "150102", "150110"
# (district, sex, sector, consultations) of each person, all in the last twelve months
PEOPLE = [
    (SJL, "F", "", 2), (SJL, "F", "", 2), (SJL, "M", "", 2),
    (LIMA, "F", "Barrios Altos", 1), (LIMA, "M", "barrios altos", 1), (LIMA, "F", "", 3),
    (COMAS, "M", "", 1),
]


def _dataset(ctx: AppContext) -> None:
    today = dt.date.today()
    for i, (district, sex, sector, visits) in enumerate(PEOPLE):
        pid = register_person(ctx.session, PersonInput(
            given_names=f"Persona{i}", paternal_surname="Rojas", sex=sex, nationality="VE",
            district_ubigeo=district, zone=sector, consent_register=True), today)
        for day in range(visits):
            when = dt.datetime.combine(today - dt.timedelta(days=day + 1), dt.time(10, 0))
            record_consultation(ctx.session, ConsultationInput(
                person_id=pid, occurred_at=when, topics=["ORIENTACION"], summary="x"))


def _expected(measure: str, sex: str | None = None) -> Counter[str]:
    """{district: persons or consultations}, counted from PEOPLE."""
    out: Counter[str] = Counter()
    for district, person_sex, _sector, visits in PEOPLE:
        if sex is None or person_sex == sex:
            out[district] += 1 if measure == "persons" else visits
    return out


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext, coordinator: AppContext) -> MapPage:
    _dataset(ctx)
    widget = MapPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.filter_bar.casa_combo.set_value(None)  # consolidated (no signal yet: not shown)
    with qtbot.waitSignal(widget.refreshed, timeout=20000):
        widget.show()
    qtbot.waitExposed(widget)
    return widget


def _inside(page: MapPage, item: DistrictItem) -> QPoint:
    """A viewport point on which ``item`` is the top item."""
    rect = item.boundingRect()
    for fx in (0.5, 0.4, 0.6, 0.3, 0.7):
        for fy in (0.5, 0.4, 0.6, 0.3, 0.7):
            point = page.view.mapFromScene(rect.left() + rect.width() * fx,
                                           rect.top() + rect.height() * fy)
            if page.view.itemAt(point) is item:
                return point
    raise AssertionError(f"no point inside {item.name}")


def test_every_district_is_drawn_and_shaded_by_its_count(page: MapPage, ctx: AppContext) -> None:
    assert set(page.items) == {d.ubigeo for d in ctx.catalogs.districts}
    assert len([i for i in page.scene.items() if isinstance(i, DistrictItem)]) == 50
    assert page.counts == dict(_expected("persons"))
    sjl, lima, comas, ancon = (page.items[u] for u in (SJL, LIMA, COMAS, ANCON))
    assert sjl.fill_color() == lima.fill_color() == CLASS_COLORS[-1]  # 3 persons each
    assert comas.fill_color() == CLASS_COLORS[-3] and ancon.fill_color() == NO_DATA_COLOR
    assert sjl.toolTip() == "San Juan de Lurigancho (Lima Este): 3 personas · 42.9%"
    assert [r.text().rsplit(";", 1)[-1] for r in page.legend_rows if r.isVisible()] == [
        "Sin datos en el período", "1", "2", "3"]
    assert page.status_label.text() == "En el mapa: 7 personas"


def test_attentions_count_every_consultation(qtbot: QtBot, page: MapPage) -> None:
    page.measure_combo.setFocus()
    with qtbot.waitSignal(page.refreshed, timeout=20000):
        qtbot.keyClick(page.measure_combo, Qt.Key.Key_Down)
    assert page.measure_combo.currentData() == "consultations"
    assert page.counts == dict(_expected("consultations"))
    assert page.items[SJL].toolTip() == "San Juan de Lurigancho (Lima Este): 6 atenciones · 50.0%"


def test_the_filters_change_the_shading(qtbot: QtBot, page: MapPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=20000):
        page.filter_bar.sex_combo.set_value("M")
    men = _expected("persons", "M")
    assert page.counts == dict(men)
    assert page.data is not None and page.data.filter.sex == "M"
    assert page.items[SJL].count == men[SJL] == 1
    assert page.items[SJL].fill_color() == CLASS_COLORS[-1]  # 1 is now the maximum
    with qtbot.waitSignal(page.refreshed, timeout=20000):
        page.filter_bar.zone_combo.set_value("Lima Norte")
    assert page.counts == {COMAS: 1}
    assert page.items[SJL].fill_color() == NO_DATA_COLOR
    with qtbot.waitSignal(page.refreshed, timeout=20000):
        qtbot.mouseClick(page.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert page.counts == dict(_expected("persons"))
    with qtbot.waitSignal(page.refreshed, timeout=20000):  # a period without consultations
        page.filter_bar.set_period(dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert page.counts == {}
    assert {i.fill_color().name() for i in page.items.values()} == {NO_DATA_COLOR.name()}


def test_the_zone_level_shades_each_district_by_its_zone(qtbot: QtBot, page: MapPage) -> None:
    page.level_combo.setCurrentIndex(page.level_combo.findData("zone"))
    zones = district_zones()
    by_zone: Counter[str] = Counter()
    for district, n in _expected("persons").items():
        by_zone[zones[district]] += n
    for ubigeo, item in page.items.items():
        assert item.value == by_zone[zones[ubigeo]]
    centro = [i for u, i in page.items.items() if zones[u] == "Lima Centro"]
    assert {i.fill_color().name() for i in centro} == {CLASS_COLORS[-1].name()}
    assert page.items[ANCON].fill_color() == page.items[COMAS].fill_color()  # both Lima Norte
    assert page.items["150119"].fill_color() == NO_DATA_COLOR  # Lurín, Lima Sur: nobody
    legend = [r.text().rsplit(";", 1)[-1] for r in page.legend_rows if r.isVisible()]
    total = sum(by_zone.values())
    assert legend == [f"{z}: {by_zone[z]} ({100 * by_zone[z] / total:.1f}%)"
                      for z in ("Lima Norte", "Lima Centro", "Lima Este", "Lima Sur", "Callao")]
    assert page.items[ANCON].toolTip() == "Lima Norte: 1 persona · 14.3% (distrito Ancón)"
    assert not page.zones_label.isVisible()


def test_hover_and_click_show_the_district_its_zone_count_and_share(
        qtbot: QtBot, page: MapPage) -> None:
    sjl = page.items[SJL]
    point = _inside(page, sjl)
    qtbot.mouseMove(page.view.viewport(), point)
    qtbot.waitUntil(lambda: page.hover_label.text()
                    == "San Juan de Lurigancho (Lima Este): 3 personas · 42.9%")
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert page.selected is sjl
    assert page.selected_label.text() == (
        "<b>San Juan de Lurigancho</b><br>Zona: Lima Este<br>3 personas · 42.9% del total del "
        "mapa")
    assert page.persons_button.isVisible() and not page.sector_table.isVisible()


def test_cercado_shows_its_sectors(qtbot: QtBot, page: MapPage) -> None:
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=_inside(page, page.items[LIMA]))
    assert page.selected is page.items[LIMA]
    assert page.sector_table.isVisible()
    model = page.sector_model
    shown = {model.index(r, 0).data(): int(model.index(r, 1).data())
             for r in range(model.rowCount())}
    sectors = Counter(z.lower() for d, _s, z, _n in PEOPLE if d == LIMA)
    assert shown == {"Barrios Altos": sectors["barrios altos"],
                     "Sin sector registrado": sectors[""]}
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Personas"


def test_keys_and_wheel_zoom(qtbot: QtBot, page: MapPage) -> None:
    page.view.setFocus()
    before = page.view.transform().m11()
    qtbot.keyClick(page.view, Qt.Key.Key_Plus)
    assert page.view.transform().m11() == pytest.approx(before * 1.25)
    qtbot.keyClick(page.view, Qt.Key.Key_Minus)
    qtbot.keyClick(page.view, Qt.Key.Key_Minus)
    assert page.view.transform().m11() == pytest.approx(before / 1.25)
    qtbot.keyClick(page.view, Qt.Key.Key_0)
    assert page.view.transform().m11() == pytest.approx(before)


def _colors(image: QImage) -> set[str]:
    return {image.pixelColor(x, y).name() for x in range(0, image.width(), 3)
            for y in range(0, image.height(), 3)}


def test_export_png_saves_the_picture(page: MapPage, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "mapa"
    monkeypatch.setattr(map_page, "ask_png_path", lambda _parent, _suggested: out)
    page.export_button.click()
    assert out.exists() and page.status_label.text() == f"Guardado en {out}."
    image = QImage(str(out))
    assert not image.isNull() and (image.width(), image.height()) == (1366, 768)
    colors = _colors(image)
    assert CLASS_COLORS[-1].name() in colors and CLASS_COLORS[-3].name() in colors
    assert page.picture().title == "Personas atendidas por distrito de residencia — Lima y Callao"
    assert page.picture().filters == []


def test_the_map_renders_to_png_without_a_window(ctx: AppContext, coordinator: AppContext,
                                                 tmp_path: Path, qapp: object) -> None:
    _dataset(ctx)
    today = dt.date.today()
    out = render_map_png(ctx.session, ReportFilter(today - dt.timedelta(days=30), today, sex="F"),
                         tmp_path / "mapa.png", level="zone", size=(1200, 700))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 700)
    assert CLASS_COLORS[-1].name() in _colors(image)  # Lima Centro and Lima Este


def test_only_roles_that_see_reports_have_the_map(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)  # recepción
    qtbot.addWidget(window)
    assert "map" not in window.page_keys()


def test_the_analyst_has_the_map_but_not_the_persons(qtbot: QtBot, ctx: AppContext) -> None:
    act_as(ctx, "analista")
    widget = MapPage(ctx)
    qtbot.addWidget(widget)
    assert widget.followup is None and widget.tabs.count() == 1

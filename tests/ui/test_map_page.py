"""Mapa: the districts drawn from the bundled boundaries, shaded by the period's counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.mapa.page import CLASS_COLORS, NO_DATA_COLOR, DistrictItem, MapPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

SJL, LIMA, ANCON = "150132", "150101", "150102"


def _visits(ctx: AppContext, district: str, people: int, each: int) -> None:
    today = dt.date.today()
    for i in range(people):
        pid = register_person(ctx.session, PersonInput(
            given_names=f"Ana{i}", paternal_surname="Rojas", sex="F", nationality="VE",
            district_ubigeo=district, consent_register=True), today)
        for day in range(each):
            when = dt.datetime.combine(today - dt.timedelta(days=day + 1), dt.time(10, 0))
            record_consultation(ctx.session, ConsultationInput(
                person_id=pid, occurred_at=when, topics=["SALUD_SIS"], summary="x"))


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext, coordinator: AppContext) -> MapPage:
    _visits(ctx, SJL, 3, 2)
    _visits(ctx, LIMA, 1, 1)
    widget = MapPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
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
    assert page.counts == {SJL: 3, LIMA: 1}
    sjl, lima, ancon = page.items[SJL], page.items[LIMA], page.items[ANCON]
    assert sjl.fill_color() == CLASS_COLORS[-1]
    assert ancon.fill_color() == NO_DATA_COLOR
    assert sjl.fill_color().lightness() < lima.fill_color().lightness() \
        < ancon.fill_color().lightness()
    assert sjl.toolTip() == "San Juan de Lurigancho: 3 personas"
    assert [r.text().rsplit(";", 1)[-1] for r in page.legend_rows if r.isVisible()] == [
        "Sin datos en el período", "1", "2", "3"]


def test_attentions_count_every_consultation(qtbot: QtBot, page: MapPage) -> None:
    page.measure_combo.setFocus()
    qtbot.keyClick(page.measure_combo, Qt.Key.Key_Down)
    assert page.measure_combo.currentData() == "consultations"
    assert page.counts == {SJL: 6, LIMA: 1}
    assert page.items[SJL].toolTip() == "San Juan de Lurigancho: 6 atenciones"


def test_a_period_without_consultations_leaves_the_map_blank(page: MapPage) -> None:
    page.to_edit.setDate(page.to_edit.date().addYears(-2))
    page.from_edit.setDate(page.to_edit.date().addYears(-1))
    assert page.counts == {}
    assert {i.fill_color().name() for i in page.items.values()} == {NO_DATA_COLOR.name()}


def test_hover_and_click_show_the_district_and_its_count(qtbot: QtBot, page: MapPage) -> None:
    sjl = page.items[SJL]
    point = _inside(page, sjl)
    qtbot.mouseMove(page.view.viewport(), point)
    qtbot.waitUntil(lambda: page.hover_label.text() == "San Juan de Lurigancho: 3 personas")
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert page.selected is sjl
    assert page.selected_label.text() == "<b>San Juan de Lurigancho</b><br>3 personas"


def test_keys_and_wheel_zoom(qtbot: QtBot, page: MapPage) -> None:
    page.view.setFocus()
    before = page.view.transform().m11()
    qtbot.keyClick(page.view, Qt.Key.Key_Plus)
    assert page.view.transform().m11() == pytest.approx(before * 1.25)
    qtbot.keyClick(page.view, Qt.Key.Key_Minus)
    qtbot.keyClick(page.view, Qt.Key.Key_Minus)
    assert page.view.transform().m11() == pytest.approx(before / 1.25)


def test_the_png_export_is_the_map(page: MapPage, tmp_path: Path) -> None:
    out = tmp_path / "mapa.png"
    assert page.save_png(out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1366, 768)
    centre = page.view.mapTo(page, _inside(page, page.items[SJL]))
    assert image.pixelColor(centre).name() == CLASS_COLORS[-1].name()


def test_only_roles_that_see_reports_have_the_map(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)  # recepción
    qtbot.addWidget(window)
    assert "map" not in window.page_keys()

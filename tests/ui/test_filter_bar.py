"""The filter bar above the map and the reports: period presets, casa by role, person filters,
one ``changed`` per change, «Limpiar filtros»."""

from __future__ import annotations

import datetime as dt

import pytest
from acting import act_as
from kbd import wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.ui.widgets.filter_bar import FilterBar, preset_period

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

TODAY = dt.date(2026, 3, 18)


def _bar(qtbot: QtBot, ctx: AppContext, **kwargs: object) -> FilterBar:
    bar = FilterBar(ctx.session, today=lambda: TODAY, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(bar)
    bar.resize(1300, bar.sizeHint().height())
    bar.show()
    qtbot.waitExposed(bar)
    return bar


class Changes:
    def __init__(self, bar: FilterBar) -> None:
        self.count = 0
        bar.changed.connect(self.seen)

    def seen(self) -> None:
        self.count += 1


def _choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Pick the entry ``text`` with the keyboard: focus, then Down until it is current."""
    combo.setFocus()
    start = combo.currentIndex()
    target = combo.findText(text)
    assert target >= 0, text
    key = Qt.Key.Key_Down if target > start else Qt.Key.Key_Up
    for _step in range(combo.count()):
        if combo.currentIndex() == target:
            return
        qtbot.keyClick(combo, key)
    raise AssertionError(f"{text!r} cannot be reached from the keyboard")


def test_presets_set_the_period_and_announce_it_once(qtbot: QtBot, coordinator: AppContext) -> None:
    bar = _bar(qtbot, coordinator, preset="this_month")
    assert bar.period() == (dt.date(2026, 3, 1), TODAY)
    assert bar.from_edit.text() == "01/03/2026"  # the Spanish date order
    changes = Changes(bar)
    expected = {
        "previous_month": (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        "this_year": (dt.date(2026, 1, 1), TODAY),
        "last_12_months": (dt.date(2025, 3, 19), TODAY),
        "this_month": (dt.date(2026, 3, 1), TODAY),
    }
    for number, (code, period) in enumerate(expected.items(), start=1):
        bar.choose_preset(code)
        assert bar.period() == period
        assert (bar.report_filter().date_from, bar.report_filter().date_to) == period
        assert changes.count == number
    assert preset_period("last_12_months", dt.date(2024, 2, 29)) == (
        dt.date(2023, 3, 1), dt.date(2024, 2, 29))


def test_typing_a_date_makes_the_period_other_dates(qtbot: QtBot, coordinator: AppContext) -> None:
    bar = _bar(qtbot, coordinator, preset="previous_month")
    wait_active(qtbot, bar)
    changes = Changes(bar)
    for typed, expected in (("10/02/2026", dt.date(2026, 2, 10)),
                            ("5/1/2026", dt.date(2026, 1, 5)),
                            ("15012025", dt.date(2025, 1, 15))):
        bar.from_edit.setFocus()
        qtbot.keyClicks(bar.from_edit, typed)
        qtbot.keyClick(bar.from_edit, Qt.Key.Key_Tab)
        assert bar.period() == (expected, dt.date(2026, 2, 28)), typed
    assert bar.preset_combo.currentText() == "Otras fechas"
    assert changes.count == 3  # once per date typed, not per digit
    # a start after the end moves the end: the period is never inverted
    bar.from_edit.setDate(bar.to_edit.date().addDays(5))
    assert bar.period() == (dt.date(2026, 3, 5), dt.date(2026, 3, 5))
    bar.to_edit.setDate(bar.from_edit.date().addDays(-10))
    assert bar.period() == (dt.date(2026, 2, 23), dt.date(2026, 2, 23))
    bar.set_period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert bar.preset_combo.currentText() == "Mes anterior"


def test_a_casa_role_starts_at_its_casa_headquarters_at_every_casa(
        qtbot: QtBot, ctx: AppContext) -> None:
    act_as(ctx, "coordinacion")
    bar = _bar(qtbot, ctx)
    assert bar.report_filter().casa_id == ctx.session.casa_id
    assert bar.casa_combo.currentText() != "Todas las casas (consolidado)"
    act_as(ctx, "analista")
    hq_bar = _bar(qtbot, ctx)
    assert hq_bar.report_filter().casa_id is None
    assert hq_bar.casa_combo.currentText() == "Todas las casas (consolidado)"
    # every casa of the installation's table is offered, after «todas»
    assert hq_bar.casa_combo.count() == 1 + len(ctx.catalogs.casas)


def test_person_filters_by_keyboard_then_clear(qtbot: QtBot, coordinator: AppContext) -> None:
    bar = _bar(qtbot, coordinator)
    changes = Changes(bar)
    _choose(qtbot, bar.sex_combo, "Mujer")
    _choose(qtbot, bar.age_combo, "18 a 59 años")
    _choose(qtbot, bar.status_combo, "Irregular")
    _choose(qtbot, bar.zone_combo, "Lima Este")
    _choose(qtbot, bar.casa_combo, "Todas las casas (consolidado)")
    flt = bar.report_filter()
    assert (flt.sex, flt.age_band, flt.migratory_status, flt.zone, flt.casa_id) == (
        "F", "18-59", "irregular", "Lima Este", None)
    period = bar.period()
    before = changes.count
    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    assert changes.count == before + 1
    assert bar.report_filter() == ReportFilter(*period, casa_id=coordinator.session.casa_id)


def test_topics_come_in_groups_whose_headings_cannot_be_chosen(
        qtbot: QtBot, coordinator: AppContext) -> None:
    bar = _bar(qtbot, coordinator)
    combo = bar.topic_combo
    topics = {code for code, _label in bar.choices.topics}
    assert topics == {t.code for t in coordinator.catalogs.topics}
    headings = [i for i in range(1, combo.count()) if combo.itemData(i) is None]
    assert headings and combo.itemData(headings[0] + 1) is not None
    assert all(not combo.model().flags(combo.model().index(i, 0)) & Qt.ItemFlag.ItemIsEnabled
               for i in headings)
    # the keyboard skips the headings: Down from «Todos los temas» lands on a topic
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert bar.report_filter().topic in topics


def test_nationalities_are_those_of_registered_persons_most_frequent_first(
        qtbot: QtBot, coordinator: AppContext) -> None:
    session = coordinator.session
    today = dt.date.today()
    for i, nationality in enumerate(["CO", "VE", "VE", "VE", "CO", "HT"]):
        register_person(session, PersonInput(given_names=f"P{i}", paternal_surname="Quispe",
                                             sex="F", nationality=nationality,
                                             consent_register=True),
                        today)
    counts: dict[str, int] = {}
    for row in session.store.rows("SELECT nationality FROM person WHERE deleted = 0"):
        if row["nationality"]:
            counts[row["nationality"]] = counts.get(row["nationality"], 0) + 1
    bar = _bar(qtbot, coordinator)
    codes = [code for code, _label in bar.choices.nationalities]
    assert codes[-1] == "sin_dato"
    assert sorted(codes[:-1]) == sorted(counts)
    assert [counts[c] for c in codes[:-1]] == sorted(counts.values(), reverse=True)
    assert bar.nationality_combo.itemText(1) == "Venezuela"
    _choose(qtbot, bar.nationality_combo, "Sin dato")
    assert bar.report_filter().nationality == "sin_dato"


def test_set_filter_shows_a_filter_and_emits_once(qtbot: QtBot, coordinator: AppContext) -> None:
    bar = _bar(qtbot, coordinator)
    changes = Changes(bar)
    flt = ReportFilter(dt.date(2025, 7, 1), dt.date(2025, 9, 30), casa_id="CV2",
                       topic="ORIENTACION", nationality="PE", sex="M", age_band="60+",
                       migratory_status="nacional", zone="Callao")
    bar.set_filter(flt)
    assert changes.count == 1
    assert bar.report_filter() == flt
    assert bar.preset_combo.currentText() == "Otras fechas"
    assert bar.nationality_combo.currentText() == "Perú"


def test_fits_in_two_rows_at_1366(qtbot: QtBot, coordinator: AppContext) -> None:
    width = 1366 - 240  # the window's navigation list and margins take the rest
    bar = _bar(qtbot, coordinator)
    assert bar.minimumSizeHint().width() <= width
    bar.resize(width, bar.sizeHint().height())
    layout = bar.layout()
    assert layout is not None
    layout.activate()
    rows = {w.geometry().top() for w in (bar.preset_combo, bar.casa_combo, bar.topic_combo,
                                         bar.clear_button, bar.nationality_combo,
                                         bar.zone_combo)}
    assert len({round(top / 10) for top in rows}) == 2
    for combo in bar.combos.values():  # nothing squeezed below its minimum
        assert combo.width() >= combo.minimumSizeHint().width()

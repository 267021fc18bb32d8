"""Dates are typed in the order the app shows them: day/month/year in Spanish,
month/day/year in English (``--lang en``), hint and error message included."""

from __future__ import annotations

import datetime as dt

import pytest
from kbd import keys
from pytestqt.qtbot import QtBot

from oma_desktop import i18n
from oma_desktop.core.fields import PERSON_FIELDS
from oma_desktop.ui.widgets.field_widgets import widget_value
from oma_desktop.ui.widgets.forms import DateField

BIRTH = next(f for f in PERSON_FIELDS if f.name == "birth_date")


@pytest.mark.parametrize(
    ("lang", "hint", "typed", "wrong", "message"),
    [
        ("es", "dd/mm/aaaa", "31/12/1990", "12/31/1990", "Escriba una fecha válida (día/mes/año)."),
        ("en", "mm/dd/yyyy", "12/31/1990", "31/12/1990", "Write a valid date (month/day/year)."),
    ],
)
def test_a_date_is_typed_as_it_is_shown(
    qtbot: QtBot, lang: str, hint: str, typed: str, wrong: str, message: str
) -> None:
    i18n.setup(lang)
    field = DateField()
    qtbot.addWidget(field)
    assert field.placeholderText() == hint
    keys(qtbot, field, typed)
    assert widget_value(BIRTH, field) == dt.date(1990, 12, 31)
    assert i18n.format_date(dt.date(1990, 12, 31)) == typed  # how lists and summaries show it
    field.set_value(dt.date(1990, 12, 31))
    assert field.text() == typed
    field.clear()
    keys(qtbot, field, wrong)
    with pytest.raises(ValueError, match=r"\(") as problem:
        widget_value(BIRTH, field)
    assert str(problem.value) == message


def test_the_hoy_day_picker_shows_dates_in_the_language_order(qtbot: QtBot, ctx: object) -> None:
    from oma_desktop.services.context import AppContext
    from oma_desktop.ui.hoy.page import TodayPage

    assert isinstance(ctx, AppContext)
    for lang, pattern in (("es", "dd/MM/yyyy"), ("en", "MM/dd/yyyy")):
        i18n.setup(lang)
        page = TodayPage(ctx)
        qtbot.addWidget(page)
        assert i18n.date_pattern() == pattern
        assert page.day_edit.displayFormat() == pattern

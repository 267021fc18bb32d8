"""Administración: the casa's details, logo and slip paper edited in the app by the casa's
administrator, saved as one logged update that the slip then uses; other roles see them
read-only and are told who may change them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from kbd import keys, wait_active
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot
from roles import open_as

from oma_desktop.core.errors import ValidationError
from oma_desktop.services import casas
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.ui.administracion.page import AdministrationPage

# the offscreen plugin says this when a page with wrapped labels adjusts its size
pytestmark = pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[AppContext]:
    """The casa's administrator, who may change its details (issue #9)."""
    context = open_as(data_dir, "admin_casa", "Administradora")
    yield context
    context.close()


def _png(tmp_path: Path) -> Path:
    image = QImage(120, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("#1565c0"))
    path = tmp_path / "logo.png"
    assert image.save(str(path), "PNG")
    return path


def test_edit_casa_details_logo_and_paper(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    assert page.casa_combo.value() == "CV1"
    assert page.logo_label.text() == "Sin logo"
    page.edits["phone"].clear()
    keys(qtbot, page.edits["phone"], "(01) 632-1300")
    keys(qtbot, page.edits["email"], "casa1@munlima.gob.pe")
    keys(qtbot, page.edits["hours"], "Lun–Vie 8:30–17:00")
    assert page.choose_logo(_png(tmp_path))
    assert not page.logo_label.pixmap().isNull()
    page.paper_combo.set_value("A4")
    qtbot.keyClick(page.edits["hours"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert page.message.text() == "Datos de la casa guardados."
    saved = casas.casa_settings(ctx.session, "CV1")
    assert (saved.phone, saved.email, saved.hours, saved.slip_paper) == (
        "(01) 632-1300", "casa1@munlima.gob.pe", "Lun–Vie 8:30–17:00", "A4")
    assert saved.logo_png == _png(tmp_path).read_bytes()
    row = ctx.session.store.get("casa", "CV1")
    assert row is not None and base64.b64decode(row["logo_png"]) == saved.logo_png
    # logged under the acting user
    logged = ctx.session.store.rows(
        "SELECT user_id, fields FROM change_log WHERE entity = 'casa' AND entity_id = 'CV1'"
        " ORDER BY seq DESC LIMIT 1")
    assert logged[0]["user_id"] == ctx.session.user_id and "slip_paper" in logged[0]["fields"]

    qtbot.mouseClick(page.remove_logo_button, Qt.MouseButton.LeftButton)
    assert page.save() and casas.casa_settings(ctx.session, "CV1").logo_png == b""


def test_bad_email_and_not_a_png_are_marked(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    page.show()
    keys(qtbot, page.edits["email"], "casa1-arroba-munlima")
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"GIF89a not a png")
    assert page.choose_logo(fake)
    assert page.logo_label.text() == "No es una imagen PNG"
    assert not page.save()
    assert "correo" in page.errors.message("email")
    assert "PNG" in page.errors.message("logo_png")
    assert casas.casa_settings(ctx.session, "CV1").email == ""


def test_service_refuses_unknown_paper(ctx: AppContext) -> None:
    data = casas.casa_settings(ctx.session, "CV1")
    data.slip_paper = "Carta"
    with pytest.raises(ValidationError) as raised:
        casas.update_casa_settings(ctx.session, data)
    assert set(raised.value.fields) == {"slip_paper"}


def test_reception_sees_the_details_read_only_and_who_may_change_them(
        qtbot: QtBot, data_dir: Path) -> None:
    context = open_context(data_dir)  # the seeded account: recepción
    try:
        page = AdministrationPage(context)
        qtbot.addWidget(page)
        page.show()
        wait_active(qtbot, page)
        assert page.edits["name"].isReadOnly() and not page.save_button.isEnabled()
        assert not page.choose_logo_button.isEnabled()
        assert "Administración de casa" in page.message.text()  # who may do it
        page.message.clear()
        qtbot.keyClick(page.edits["phone"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert "no le permite" in page.message.text()  # Ctrl+S says why, nothing crashes
        assert casas.casa_settings(context.session, "CV1").name == "Casa Vecinal 1"
    finally:
        context.close()

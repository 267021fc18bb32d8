"""The About dialog: version, data folder, database, casa, credits, Qt's Spanish buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from oma_desktop import __version__
from oma_desktop.services.context import AppContext
from oma_desktop.ui import about
from oma_desktop.ui.about import AboutDialog
from oma_desktop.ui.qt_i18n import install_qt_translator


@pytest.fixture
def dialog(qtbot: QtBot, qapp: QApplication, ctx: AppContext) -> Iterator[AboutDialog]:
    assert install_qt_translator(qapp, "es")
    dlg = AboutDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.close()


def test_shows_version_folder_database_and_casa(dialog: AboutDialog, ctx: AppContext) -> None:
    assert dialog.windowTitle() == "Acerca de OMA Desktop"
    assert dialog.version_label.text() == __version__
    assert dialog.folder_edit.text() == str(ctx.paths.root)
    assert dialog.folder_edit.isReadOnly()
    assert dialog.schema_label.text() == str(ctx.session.store.schema_version)
    assert int(dialog.schema_label.text()) >= 1
    assert dialog.casa_label.text() == "CV1 — Casa Vecinal 1"
    assert dialog.mode_label.text() == "Casa vecinal"
    assert dialog.open_button.text() == "Abrir carpeta"


def test_credits_name_the_data_sources_and_licences(dialog: AboutDialog) -> None:
    text = dialog.credits_label.text()
    for expected in (
        "jmcastagnetto/ubigeo-peru-aumentado",
        "licencia MIT.",
        "joseluisq/peru-geojson-datasets",
        "MIT/Apache-2.0",
        "juaneladio/peru-geojson",
        "MPL-2.0",
    ):
        assert expected in text


def test_close_button_is_translated_by_qt(qtbot: QtBot, dialog: AboutDialog) -> None:
    close = dialog.buttons.button(QDialogButtonBox.StandardButton.Close)
    assert close is not None
    assert close.text() == "Cerrar"
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_open_folder_button_opens_the_data_folder(
    qtbot: QtBot, dialog: AboutDialog, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []

    class FakeDesktopServices:
        @staticmethod
        def openUrl(url: QUrl) -> bool:
            opened.append(url)
            return True

    monkeypatch.setattr(about, "QDesktopServices", FakeDesktopServices)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert [Path(url.toLocalFile()) for url in opened] == [ctx.paths.root]


def test_qt_standard_buttons_follow_the_language(qapp: QApplication) -> None:
    buttons = QDialogButtonBox.StandardButton
    box = QDialogButtonBox(buttons.Ok | buttons.Cancel | buttons.Yes | buttons.No)
    try:
        assert install_qt_translator(qapp, "es")
        texts = {box.button(b).text().replace("&", "") for b in
                 (buttons.Ok, buttons.Cancel, buttons.Yes, buttons.No)}
        assert texts == {"Aceptar", "Cancelar", "Sí", "No"}
        assert install_qt_translator(qapp, "en")
        box2 = QDialogButtonBox(buttons.Ok | buttons.Cancel)
        assert box2.button(buttons.Cancel).text() == "Cancel"
        box2.deleteLater()
    finally:
        install_qt_translator(qapp, "es")
        box.deleteLater()


def test_everything_shown_is_in_spanish(dialog: AboutDialog) -> None:
    from babel.messages.pofile import read_po
    from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton

    po = Path(__file__).parents[2] / "resources" / "locale" / "es" / "LC_MESSAGES" / "oma_desktop.po"
    with po.open("rb") as fh:
        english = {m.id for m in read_po(fh) if isinstance(m.id, str) and m.id and m.string != m.id}
    assert dialog.subtitle_label.text() == (
        "Oficinas Municipales de Atención al Vecino Migrante\nMunicipalidad Metropolitana de Lima")
    shown = [line for label in dialog.findChildren(QLabel) for line in label.text().split("\n")]
    shown += [b.text() for b in dialog.findChildren(QPushButton)]
    shown += [g.title() for g in dialog.findChildren(QGroupBox)]
    assert [text for text in shown if text.strip().rstrip(":") in english or text in english] == []

"""Qt's own translations, so standard buttons and dialogs speak the UI language.

``QMessageBox``/``QDialogButtonBox`` standard buttons ("Aceptar", "Cancelar", "Sí",
"No", "Cerrar") come from Qt's ``qtbase_<lang>.qm`` catalog, not from ours. The
English UI needs no catalog: Qt's source strings are English.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from oma_desktop.paths import resources_dir

# QLocale used by Qt widgets (date edits, spin boxes) for each UI language
QT_LOCALES = {
    "es": (QLocale.Language.Spanish, QLocale.Country.Peru),
    "en": (QLocale.Language.English, QLocale.Country.UnitedStates),
}

_installed: list[QTranslator] = []


def translation_dirs() -> list[Path]:
    """Where ``qtbase_<lang>.qm`` may live: Qt's own folder, then a bundled copy."""
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    dirs = [Path(qt_dir)] if qt_dir else []
    dirs.append(resources_dir() / "qt_translations")
    return dirs


def install_qt_translator(app: QCoreApplication, lang: str) -> bool:
    """Replace any previously installed Qt catalog by the one for ``lang``.

    Returns False only when a catalog is needed and none was found (the UI then
    shows Qt's English standard buttons, which is a packaging bug).
    """
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language, country = QT_LOCALES.get(lang, QT_LOCALES["es"])
    QLocale.setDefault(QLocale(language, country))
    if lang == "en":
        return True
    for folder in translation_dirs():
        translator = QTranslator(app)
        if translator.load(f"qtbase_{lang}", str(folder)):
            app.installTranslator(translator)
            _installed.append(translator)
            return True
    return False

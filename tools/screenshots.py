"""Render the main screens at 1366×768 (and Atención at the minimum window size) into
docs/screenshots/ (Spanish, offscreen).

    .venv/bin/python tools/screenshots.py [OUTPUT_DIR]

Builds a 600-person demo in a temporary folder, drives the real widgets and saves PNGs.
Look at them as a clerk would after any change to the screens. docs/guia-rapida.md (the
one-page front-desk guide) shows 01-atencion-busqueda, 02-nueva-atencion, 07-hoy and
08-seguimiento: keep those names; docs/guia-usuario.md shows 20-primer-inicio.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

from PySide6.QtWidgets import QApplication, QWidget

from oma_desktop import i18n
from oma_desktop.services.context import open_context
from oma_desktop.services.demo import build_demo
from oma_desktop.ui.qt_i18n import install_qt_translator

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "oma-demo-2026"
FIXTURES = ROOT / "tests" / "fixtures" / "import"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    install_qt_translator(app, i18n.setup("es"))
    from oma_desktop.services.accounts import Credentials

    # an encrypted folder, as the program makes them, seen by coordinación (who imports,
    # refers without consent and exports to the USB stick)
    data = Path(tempfile.mkdtemp()) / "datos"
    build_demo(data, persons=600, seed=3, credentials=Credentials("admin", PASSWORD))
    ctx = open_context(data, credentials=Credentials("coordinacion", PASSWORD))

    def spin(n: int = 20) -> None:
        for _ in range(n):
            app.processEvents()

    def wait(condition: object, timeout: float = 20) -> None:
        end = time.time() + timeout
        while not condition():  # type: ignore[operator]
            app.processEvents()
            time.sleep(0.01)
            if time.time() > end:
                raise TimeoutError

    def shot(widget: QWidget, name: str) -> None:
        spin()
        widget.grab().save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    from oma_desktop.ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(1366, 768)
    window.show()
    spin()
    page = window.page("attention")
    page.panel.set_text("maria gonzalez")
    page.panel.focus_results()
    page.table.selectRow(0)
    shot(window, "01-atencion-busqueda")

    dialog = page.new_consultation()
    spin()
    dialog.topics.filter_edit.setText("empleo")
    dialog.topics.tick_first_shown()
    dialog.topics.filter_edit.clear()
    dialog.summary_edit.setPlainText("Busca capacitación para trabajar como auxiliar de cocina.")
    shot(dialog, "02-nueva-atencion")
    dialog.hide()  # reject() would ask whether to discard what was typed
    page._host.dialog = None  # the page's one-dialog guard: this one was only hidden
    spin()

    anonymous = page.quick_consultation()
    spin()
    shot(anonymous, "03-atencion-anonima")
    anonymous.hide()
    page._host.dialog = None
    spin()

    from oma_desktop.ui.personas import PersonDialog

    person = PersonDialog(ctx, window, initial_text="Rojas de la Cruz, María de los Ángeles")
    person.resize(1040, 680)
    person.show()
    shot(person, "04-persona-nueva")
    person.birth_date.setText("31/02/1990")
    person.save()
    shot(person, "05-persona-errores")
    person.hide()  # close() would ask whether to discard what was typed

    people = window.show_page("people")
    busiest = ctx.session.store.scalar(
        "SELECT person_id FROM consultation WHERE person_id IS NOT NULL"
        " GROUP BY person_id ORDER BY count(*) DESC LIMIT 1"
    )
    window.open_person(busiest)
    shot(window, "06-personas-historial")
    assert people is not None

    if "today" in window.page_keys():
        window.show_page("today")
        shot(window, "07-hoy")

    window.show_page("follow_up")
    shot(window, "08-seguimiento")

    from oma_desktop.ui.importer.dialog import ImportWizard

    wizard = ImportWizard(ctx, window)
    wizard.resize(1040, 680)
    wizard.show()
    wizard.file_page.set_path(str(FIXTURES / "con_errores.csv"))
    wait(wizard.file_page.isComplete)
    wizard.next()
    shot(wizard, "09-importar-columnas")
    wizard.next()
    wait(lambda: wizard.confirm_page.plan is not None)
    shot(wizard, "10-importar-errores")
    wizard.hide()

    window.show_page("attention")
    guide = window.show_help()  # what F1 opens on Atención
    guide.resize(760, 640)
    guide.scroll_to("atención")
    shot(guide, "11-guia-f1-atencion")
    guide.close()

    window.resize(window.minimumSize())
    page.panel.set_text("gonzalez")
    shot(window, "12-atencion-tamano-minimo")
    window.resize(1366, 768)
    window.show_page("sync")
    shot(window, "16-sincronizacion-casa")

    # issue #11: the map, the events and the reports, on the demo's last twelve months
    import datetime as dt

    from oma_desktop.services.report_filter import ReportFilter

    year = ReportFilter(dt.date.today() - dt.timedelta(days=364), dt.date.today())
    mapa = window.show_page("map")
    mapa.filter_bar.set_filter(year)  # type: ignore[attr-defined]
    counting = mapa.refresh()  # type: ignore[attr-defined]
    wait(lambda: not counting.is_running(), timeout=60)
    spin(100)
    shot(window, "17-mapa-pantalla")
    window.show_page("community")
    spin(100)
    shot(window, "18-comunidad")
    reports = window.show_page("reports")
    reports.filter_bar.set_filter(year)  # type: ignore[attr-defined]
    handle = reports.generate()  # type: ignore[attr-defined]
    wait(lambda: handle is None or not handle.is_running(), timeout=60)
    spin(100)
    shot(window, "19-reportes")
    window.close()
    ctx.close()

    from oma_desktop.ui.app import _opener
    from oma_desktop.ui.login import LoginDialog

    login = LoginDialog(data, _opener(data, None), username="coordinacion",
                        casa_name="Casa Vecinal 1")
    login.show()
    shot(login, "15-inicio-de-sesion")
    login.close()

    # issue #12: the first-run assistant on an empty folder, then headquarters (its own
    # code HQ «Sede central») with About and the licences of the bundled components
    from oma_desktop.ui.about import AboutDialog
    from oma_desktop.ui.primer_inicio.wizard import PAGE_MODE, FirstRunWizard

    wizard = FirstRunWizard(Path(tempfile.mkdtemp()) / "nueva")
    wizard.show()
    wait(lambda: wizard.currentId() >= 0)
    wizard.next()
    wait(lambda: wizard.currentId() == PAGE_MODE)
    shot(wizard, "20-primer-inicio")
    wizard.close()
    hq = open_context(Path(tempfile.mkdtemp()) / "sede", mode="hq",
                      credentials=Credentials("admin", PASSWORD))
    hq_window = MainWindow(hq)
    hq_window.resize(1366, 768)
    hq_window.show()
    hq_window.show_page("sync")
    shot(hq_window, "21-sede-central-sincronizacion")
    about = AboutDialog(hq, hq_window)
    about.show()
    shot(about, "22-acerca-de")
    about.tabs.setCurrentIndex(1)
    shot(about, "22-acerca-de-licencias")
    about.close()
    hq_window.close()
    hq.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Print and export buttons for a page that shows a list (Hoy, Seguimiento).

"Imprimir" writes the PDF into the data folder's ``exports/`` and opens it in the PC's
PDF viewer, where it is printed (or kept); "Exportar" asks where to save an Excel (XLSX)
or CSV file. Both read the data again and write the file off the GUI thread
(:func:`~oma_desktop.ui.tasks.run_job`); a file that cannot be written is reported in
Spanish. The page gives a ``build(session)`` that returns the sheets and the printable
document from services (plain data, read on the job's own session).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from oma_desktop.i18n import _
from oma_desktop.printing.sheets import PrintDocument
from oma_desktop.services import audit
from oma_desktop.services.context import AppContext
from oma_desktop.services.export import Sheet, export_sheets, save_pdf
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job

Build = Callable[[Session], tuple[list[Sheet], PrintDocument]]
# called on the GUI thread when the user asks: captures what the page shows (the day, the
# filter) as plain values and returns the function the job runs on its own session
MakeBuild = Callable[[], Build]
KEY_PRINT = "Ctrl+P"
KEY_EXPORT = "Ctrl+E"


def ask_save_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to export (a file dialog; tests replace this function)."""
    filters = ";;".join((_("Excel workbook (*.xlsx)"), _("CSV text, comma-separated (*.csv)")))
    name, chosen = QFileDialog.getSaveFileName(parent, _("Export list"), str(suggested), filters)
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        path = path.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
    return path


def open_file(path: Path) -> bool:
    """Show ``path`` in the PC's own program (tests replace this function)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class SheetActions(QObject):
    """``print_button`` and ``export_button``; ``done(path)`` once a file is written."""

    done = Signal(str)

    def __init__(self, page: QWidget, ctx: AppContext, make_build: MakeBuild,
                 base_name: Callable[[], str]) -> None:
        super().__init__(page)
        self.page = page
        self.ctx = ctx
        self.make_build = make_build
        self.base_name = base_name
        self.handle: TaskHandle[Path] | None = None
        self.print_button = QPushButton(_("Print… ({key})").format(key=KEY_PRINT))
        self.print_button.setObjectName("printSheet")
        self.print_button.setToolTip(
            _("Make a PDF of this list and open it to print ({key}).").format(key=KEY_PRINT))
        self.print_button.setShortcut(KEY_PRINT)
        self.print_button.clicked.connect(lambda: self.print_sheet())
        self.export_button = QPushButton(_("Export… ({key})").format(key=KEY_EXPORT))
        self.export_button.setObjectName("exportSheet")
        self.export_button.setToolTip(
            _("Save this list as an Excel or CSV file ({key}).").format(key=KEY_EXPORT))
        self.export_button.setShortcut(KEY_EXPORT)
        self.export_button.clicked.connect(lambda: self.export_sheet())
        for button in (self.print_button, self.export_button):
            button.setAutoDefault(False)
        # the service refuses anyway (export_sheets); a role that may not export sees no button
        self.export_button.setVisible(ctx.session.can(Permission.EXPORT_PERSONAL))

    def busy(self) -> bool:
        return self.handle is not None

    def print_sheet(self) -> TaskHandle[Path] | None:
        """Ctrl+P: the PDF in ``exports/``, then opened in the PDF viewer."""
        path = self.ctx.paths.exports / f"{self.base_name()}.pdf"
        build = self.make_build()

        def job(session: Session, _progress: Progress) -> Path:
            path.parent.mkdir(parents=True, exist_ok=True)
            document = build(session)[1]  # a list with names: its printing is audited
            return audit.printed_file(session, save_pdf(path, document), document.title)

        return self._run(job, opener=open_file)

    def export_sheet(self, path: Path | None = None) -> TaskHandle[Path] | None:
        """Ctrl+E: ask where, then write the XLSX or CSV."""
        if path is None:
            path = ask_save_path(self.page, self.ctx.paths.exports / f"{self.base_name()}.xlsx")
            if path is None:
                return None
        target, build = path, self.make_build()

        def job(session: Session, _progress: Progress) -> Path:
            return export_sheets(session, target, build(session)[0])

        return self._run(job, opener=None)

    def _run(self, job: Callable[[Session, Progress], Path],
             opener: Callable[[Path], bool] | None) -> TaskHandle[Path] | None:
        if self.handle is not None:
            return None
        self._enable(False)

        def finished(path: Path) -> None:
            self.handle = None
            self._enable(True)
            if opener is not None:
                opener(path)
            self.done.emit(str(path))

        def failed(exc: BaseException) -> None:
            self.handle = None
            self._enable(True)
            default_error_handler(self.page, exc)

        self.handle = run_job(self.page, self.ctx, job, finished, on_error=failed)
        return self.handle

    def _enable(self, on: bool) -> None:
        self.print_button.setEnabled(on)
        self.export_button.setEnabled(on)

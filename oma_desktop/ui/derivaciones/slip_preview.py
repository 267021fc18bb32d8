"""Vista previa de boletas: the slips' PDF shown inside the app, printed through the
system print dialog or saved as a PDF where the clerk chooses.

The PDF is written by ``referrals.write_slip_pdf`` on a background job; the slips are
counted as printed (so the next one says COPIA) only once printed or saved from here.
The PDF goes into the data folder's ``exports/``; its pages are rasterised with pypdfium2
on a worker thread. Printing paints the pages, rasterised at the printer's resolution (at
most 300 dpi), on the QPrinter the user chose.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, ngettext
from oma_desktop.services import referrals
from oma_desktop.services.context import AppContext
from oma_desktop.services.session import Session
from oma_desktop.ui.derivaciones.pdf_pages import render_pages
from oma_desktop.ui.tasks import Progress, run_job, run_task

PREVIEW_DPI = 96
PRINT_DPI_MAX = 300


def slips_path(ctx: AppContext, codes: list[str]) -> Path:
    folder = ctx.paths.exports
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = codes[0] if len(codes) == 1 else f"{len(codes)}"
    return folder / _("slips-{name}-{stamp}.pdf").format(name=name, stamp=stamp)


class SlipPreviewDialog(QDialog):
    """Writes the slips of ``referral_ids`` and shows them; ``path`` once written."""

    def __init__(self, ctx: AppContext, referral_ids: list[str], codes: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.referral_ids = list(referral_ids)
        self.path: Path | None = None
        self.counted = False  # printed or saved at least once from this preview
        self.images: list[QImage] = []
        self.setWindowTitle(_("Referral slips: {codes}").format(codes=", ".join(codes)))
        self.status = QLabel(_("Preparing the slips…"))
        self.pages = QWidget()
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.pages)
        scroll.setStyleSheet("QScrollArea { background: #8a8a8a; }")
        self.print_button = QPushButton(_("Print… ({key})").format(key="Ctrl+P"))
        self.save_button = QPushButton(_("Save as PDF… ({key})").format(key="Ctrl+S"))
        close = QPushButton(_("Close ({key})").format(key="Esc"))
        for button in (self.print_button, self.save_button, close):
            button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_slips)
        self.save_button.clicked.connect(lambda: self.save_as())
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+P"), self).activated.connect(self.print_slips)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(lambda: self.save_as())
        self._enable(False)
        self.resize(900, 720)
        self._write(slips_path(ctx, codes))

    def _enable(self, on: bool) -> None:
        self.print_button.setEnabled(on)
        self.save_button.setEnabled(on)

    # --- writing and showing ----------------------------------------------------------

    def _write(self, path: Path) -> None:
        ids = list(self.referral_ids)

        def job(session: Session, _progress: Progress) -> Path:
            return referrals.write_slip_pdf(session, ids, path)  # counted once printed

        def failed(exc: BaseException) -> None:
            self.status.setText(_("The slips could not be prepared: {error}").format(error=exc))

        run_job(self, self.ctx, job, on_done=self._written, on_error=failed)

    def _written(self, path: Path) -> None:
        self.path = path
        run_task(self, lambda _p: render_pages(path, PREVIEW_DPI), self._show_pages)

    def _show_pages(self, images: list[QImage]) -> None:
        self.images = images
        for image in images:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setStyleSheet("background: white; border: 1px solid #555;")
            self.pages_layout.addWidget(label)
        self.status.setText(ngettext("{n} page ready to print.", "{n} pages ready to print.",
                                     len(images)).format(n=len(images)))
        self._enable(True)

    # --- printing and saving ----------------------------------------------------------

    def print_slips(self) -> None:
        """Ctrl+P: the system print dialog, then the pages painted on the chosen printer."""
        if self.path is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.path.stem)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("Print slips"))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """Paint every page on ``printer`` (rasterised off the GUI thread)."""
        assert self.path is not None
        path = self.path
        dpi = min(printer.resolution(), PRINT_DPI_MAX)
        self.status.setText(_("Sending to the printer…"))
        self._enable(False)

        def paint(images: list[QImage]) -> None:
            painter = QPainter()
            if not painter.begin(printer):
                self.status.setText(_("The printer could not be opened. Check that it is on "
                                      "and try again."))
                self._enable(True)
                return
            try:
                for number, image in enumerate(images):
                    if number:
                        printer.newPage()
                    area = painter.viewport()
                    size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                    painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()),
                                      image)
            finally:
                painter.end()
            self._count_printed()
            self.status.setText(ngettext("{n} page sent to the printer.",
                                         "{n} pages sent to the printer.", len(images)
                                         ).format(n=len(images)))
            self._enable(True)

        run_task(self, lambda _p: render_pages(path, dpi), paint)

    def _count_printed(self) -> None:
        """A preview is not a print: the slips count (and say COPIA next time) once printed
        or saved, and only once per preview."""
        if not self.counted:
            referrals.count_printed(self.ctx.session, list(self.referral_ids))
            self.counted = True

    def save_as(self, target: Path | None = None) -> Path | None:
        """Ctrl+S: a copy of the slips' PDF where the user chooses."""
        if self.path is None:
            return None
        if target is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self, _("Save as PDF"), str(Path.home() / self.path.name), _("PDF (*.pdf)"))
            if not chosen:
                return None
            target = Path(chosen)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            shutil.copyfile(self.path, target)
        except OSError as exc:
            QMessageBox.warning(self, _("Save as PDF"), _(
                "The PDF could not be saved in {path}: {error}. Choose another folder."
            ).format(path=target, error=exc.strerror or exc))
            return None
        self._count_printed()
        self.status.setText(_("Saved in {path}.").format(path=target))
        return target

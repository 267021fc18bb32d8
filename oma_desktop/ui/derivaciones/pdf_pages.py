"""PDF pages as QImages, with pypdfium2 (PySide6-Essentials ships no QtPdf).

Used by the slip preview (on screen) and to paint the slips on a QPrinter chosen in the
system print dialog. Pure functions over a file path: safe to call off the GUI thread
(QImage, unlike QPixmap, may be made on any thread).
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtGui import QImage

_FORMATS = {
    "RGB": QImage.Format.Format_RGB888,
    "RGBA": QImage.Format.Format_RGBA8888,
    "RGBX": QImage.Format.Format_RGBX8888,
    "BGRA": QImage.Format.Format_ARGB32,
    "BGRX": QImage.Format.Format_RGB32,
    "L": QImage.Format.Format_Grayscale8,
}


def page_count(path: Path) -> int:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_pages(path: Path, dpi: float = 110) -> list[QImage]:
    """Every page of ``path`` at ``dpi`` dots per inch, on a white background."""
    pdf = pdfium.PdfDocument(str(path))
    images: list[QImage] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
            fmt = _FORMATS.get(bitmap.mode)
            if fmt is None:  # pragma: no cover - pdfium's default formats are all listed
                raise ValueError(bitmap.mode)
            image = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                           fmt).copy()  # own the pixels: the bitmap is freed below
            image.setDotsPerMeterX(round(dpi / 0.0254))
            image.setDotsPerMeterY(round(dpi / 0.0254))
            images.append(image)
            bitmap.close()
            page.close()
    finally:
        pdf.close()
    return images

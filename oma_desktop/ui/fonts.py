"""Small font helpers shared by the screens."""

from __future__ import annotations

from PySide6.QtGui import QFont


def scaled(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    """A copy of ``base`` ``factor`` times larger (works for point- and pixel-sized fonts)."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        font.setPixelSize(round(font.pixelSize() * factor))
    font.setBold(bold)
    return font

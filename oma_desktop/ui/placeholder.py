"""A page that is not built yet: its title, what it will do, and "En construcción"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from oma_desktop.i18n import _
from oma_desktop.ui.fonts import scaled

_BADGE_STYLE = (
    "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e3c66b;"
    " border-radius: 4px; padding: 4px 12px; }"
)


class PlaceholderPage(QWidget):
    """Shows a translated ``title`` and ``description`` (both already translated)."""

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        self.title_label.setFont(scaled(self.font(), 1.8, bold=True))
        self.description_label = QLabel(description)
        self.description_label.setWordWrap(True)
        self.description_label.setMaximumWidth(760)  # comfortable line length
        self.description_label.setFont(scaled(self.font(), 1.15))
        self.status_label = QLabel(_("Under construction"))
        self.status_label.setObjectName("underConstruction")
        self.status_label.setFont(scaled(self.font(), 1.15, bold=True))
        self.status_label.setStyleSheet(_BADGE_STYLE)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        for label in (self.title_label, self.description_label, self.status_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(16)
        layout.addWidget(self.title_label)
        layout.addWidget(self.description_label)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.setAccessibleName(title)

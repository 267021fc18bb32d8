"""Copias de seguridad: the restore assistant, the backups dialog of Administración, the
offer to restore when the database is found damaged at start-up, and the daily backup."""

from oma_desktop.ui.respaldo.assistant import RestoreAssistant, offer_restore, offer_restore_for
from oma_desktop.ui.respaldo.panel import BackupsDialog, BackupsPanel, start_daily_backups

__all__ = ["BackupsDialog", "BackupsPanel", "RestoreAssistant", "offer_restore",
           "offer_restore_for", "start_daily_backups"]

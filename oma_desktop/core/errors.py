"""Errors the user can act on, separated from programming errors.

``OmaError`` carries a Spanish (translated) message written for the clerk: what went
wrong and what to do. Anything else escaping to the UI is a bug and is reported as one.
"""

from __future__ import annotations


class OmaError(Exception):
    """An error caused by the environment or input, with a message for the user."""


class StoreError(OmaError):
    """The database cannot be opened or used."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer version of the app."""


class EncryptionUnavailableError(StoreError):
    """An encryption key was given but this build cannot encrypt the database."""


class UnloggedWriteError(StoreError):
    """A write tried to bypass the change log (a bug, caught by the database)."""


class ValidationError(OmaError):
    """Input that cannot be saved; ``fields`` maps a field name to its message."""

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        self.fields = dict(fields)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in fields.items()))


# --- database conditions the user can act on (made by core/driver.translate_error) ---


class DatabaseLockedError(StoreError):
    """Another program (or another OMA Desktop window) holds the database."""


class ReadOnlyError(StoreError):
    """The database file or its folder cannot be written."""


class DiskFullError(StoreError):
    """The disk holding the data folder has no free space left."""


class DamagedDatabaseError(StoreError):
    """The file is damaged or is not a database at all."""


class MissingRelatedRecordError(StoreError):
    """A write refers to a record that does not exist (a foreign key failed)."""


class CannotOpenDatabaseError(StoreError):
    """The database file cannot be opened: its folder is missing or unreachable."""


class DiskIOError(StoreError):
    """The disk could not be read or written (a removed USB drive, a failing disk)."""


class PermissionDeniedError(OmaError):
    """The acting user's role may not do this (``services.permissions``); the message
    names the action and the roles that may do it."""

    def __init__(self, message: str, permission: str = "", role: str = "") -> None:
        self.permission = permission
        self.role = role
        super().__init__(message)

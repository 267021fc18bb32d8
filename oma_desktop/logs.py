"""Diagnostic log: a rotating file in the data folder's ``logs/`` (Qt-free).

Errors are never silent: every command and the GUI call :func:`setup_logging` first, and
code that catches an exception it cannot fully handle logs it (``log.exception(...)``).
The technician reads ``logs/oma-desktop.log`` (1 MB, five older files kept). The log
never creates the data folder: records made before it exists (a command refused before
anything was written) wait in memory and are written once it does.

**No personal data in log lines.** Log records by their id and lists by their length —
``log.info("person %s registered", person_id)`` — never a name, document number, phone,
address, birth date, e-mail or text typed by a clerk. As a safety net the file's
formatter masks whatever looks like a document number, phone, date or e-mail address,
in messages and tracebacks alike (record ids, which are UUIDs, are kept); names cannot be
recognised by a pattern, so for them the rule above is the only protection. For the same
reason a caught :class:`~oma_desktop.core.errors.OmaError` — its message is written for
the clerk and may name a person — is logged by its class and where it was raised, never
its message: use :func:`log_exception`.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import traceback
from pathlib import Path

from oma_desktop.core.errors import OmaError

LOG_FILE = "oma-desktop.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
APP_LOGGER = "oma_desktop"
HIDDEN = "<hidden>"
PENDING_LIMIT = 200

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# six digits or more, optionally split by single spaces, dots, dashes or slashes:
# DNI/CE/passport/PTP numbers, phones (+51 987 654 321), dates (1990-05-17, 17/05/1990)
_NUMBER = r"\+?\d(?:[ ./-]?\d){5,}"
_SENSITIVE = re.compile(f"(?P<uuid>{_UUID})|{_EMAIL}|{_NUMBER}")

_handler: logging.Handler | None = None


def redact(text: str) -> str:
    """``text`` with document numbers, phones, dates and e-mail addresses masked."""
    return _SENSITIVE.sub(lambda m: m.group() if m.group("uuid") else HIDDEN, text)


class RedactingFormatter(logging.Formatter):
    """Formats like :class:`logging.Formatter`, then masks personal data (see module doc).

    Works on a copy of the record, so other handlers (a test's ``caplog``) see it intact.
    """

    def format(self, record: logging.LogRecord) -> str:
        clone = logging.makeLogRecord(record.__dict__)
        clone.msg, clone.args = redact(record.getMessage()), None
        if record.exc_info:
            clone.exc_text = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            clone.exc_text = redact(record.exc_text)
        clone.exc_info = None
        if record.stack_info:
            clone.stack_info = redact(record.stack_info)
        return super().format(clone)


class DataFolderLogHandler(logging.handlers.RotatingFileHandler):
    """A rotating file in ``<data folder>/logs/`` that waits for the data folder to exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
        )
        self._pending: list[logging.LogRecord] = []
        self.unusable = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.unusable:
            return
        if self.stream is None and not self._folder_ready():
            if len(self._pending) < PENDING_LIMIT:
                self._pending.append(record)
            return
        pending, self._pending = self._pending, []
        for earlier in pending:
            super().emit(earlier)
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """A log file that cannot be opened or written (a read-only or full data folder)
        means no log file, not a traceback on the console for every line."""
        if isinstance(sys.exc_info()[1], OSError):
            self.unusable = True
            self._pending = []
            return
        super().handleError(record)

    def _folder_ready(self) -> bool:
        logs = Path(self.baseFilename).parent
        if not logs.parent.is_dir():
            return False
        try:
            logs.mkdir(exist_ok=True)
        except OSError:
            return False
        return True


def setup_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Log the app (``oma_desktop.*``, from ``level``) and others' warnings to ``log_dir``.

    ``log_dir`` is the data folder's ``logs/``. Calling it again replaces the previous
    file (a test, a second data folder); calling it with the same folder changes nothing.
    Returns the log file. A folder that cannot be written only means no log file: the
    app runs without one rather than not at all.
    """
    global _handler
    path = (Path(log_dir) / LOG_FILE).absolute()
    if isinstance(_handler, logging.FileHandler) and Path(_handler.baseFilename) == path:
        logging.getLogger(APP_LOGGER).setLevel(level)
        return path
    handler = DataFolderLogHandler(path)
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.setLevel(min(level, logging.WARNING))
    shutdown_logging()
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger(APP_LOGGER).setLevel(level)
    _handler = handler
    return path


def shutdown_logging() -> None:
    """Detach and close the log file set up by :func:`setup_logging` (if any)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def log_exception(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a caught exception by the rule above.

    An :class:`OmaError` (an expected condition, already shown to the user) is a warning
    with its class and the frames it came through; anything else is a bug and is an error
    with its full traceback.
    """
    if isinstance(exc, OmaError):
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        logger.warning("%s: %s\n%s", what, type(exc).__name__, frames)
    else:
        logger.error("%s", what, exc_info=(type(exc), exc, exc.__traceback__))


def current_log_file() -> Path | None:
    """The file the app is logging to, if :func:`setup_logging` succeeded."""
    if isinstance(_handler, logging.FileHandler):
        return Path(_handler.baseFilename)
    return None

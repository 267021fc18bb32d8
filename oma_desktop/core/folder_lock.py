"""One writer per data folder.

The app and every command that opens a data folder hold an operating-system lock on
``oma.lock`` inside it for as long as they use it. A second program on the same folder is
refused with a Spanish message that says which program holds it and since when (read
from the lock file, which the holder writes). The lock belongs to the process: when it
ends, even by ``kill -9`` or a power cut, the operating system releases it, so a stale
lock file never blocks anybody (its old text is simply overwritten).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import IO, Any

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _, format_datetime

LOCK_NAME = "oma.lock"


class FolderInUseError(OmaError):
    """Another program holds the data folder."""


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class FolderLock:
    """The lock of one data folder, held from :meth:`acquire` until :meth:`release`."""

    def __init__(self, folder: Path, program: str) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.program = program
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> FolderLock:
        """Take the lock or raise :class:`FolderInUseError` naming who holds it."""
        if self._handle is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        if not _try_lock(handle):
            handle.seek(0)
            holder = _parse(handle.read())
            handle.close()
            raise FolderInUseError(_in_use_message(self.path.parent, holder))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "program": self.program,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now().isoformat(timespec="seconds"),
        }, ensure_ascii=False))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the operating-system lock
            self._handle = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _parse(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _in_use_message(folder: Path, holder: dict[str, Any]) -> str:
    program = str(holder.get("program") or _("another program"))
    try:
        since = format_datetime(dt.datetime.fromisoformat(str(holder.get("since"))))
    except ValueError:
        since = _("an unknown time")
    return _(
        "The data folder {folder} is already in use by {program} (process {pid} on {host}, "
        "since {since}). Only one program at a time can work on a data folder: close that "
        "program, or wait until it finishes, and try again."
    ).format(folder=folder, program=program, pid=holder.get("pid", "?"),
             host=holder.get("host", "?"), since=since)

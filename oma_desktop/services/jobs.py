"""Long jobs that leave a mark until they finish (demo data, imports).

A job writes a marker into the local ``meta`` table when it starts and removes it when it
ends, whatever the outcome short of the process dying. A marker that is still there means
the program was killed, the PC lost power or the disk failed while the job ran;
``oma-desktop check`` reports it with what to do.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from oma_desktop.core.ids import new_id
from oma_desktop.core.store import Store

PREFIX = "job:"
KINDS = ("demo", "import")


@dataclass(frozen=True)
class UnfinishedJob:
    kind: str  # demo | import
    label: str  # what it worked on (a file name), for the message
    started: dt.datetime


class JobMark:
    """The mark of a running job; :meth:`clear` removes it (idempotent)."""

    def __init__(self, store: Store, key: str) -> None:
        self._store, self._key = store, key
        self._cleared = False

    def clear(self) -> None:
        """Remove the mark. An all-or-nothing job calls it inside its own transaction, just
        before the commit, so the mark and the job's records go together: a process killed
        right after the commit leaves no mark saying that nothing was saved."""
        if not self._cleared:
            self._store.delete_meta(self._key)
            self._cleared = True


@contextmanager
def job_marker(
    store: Store, kind: str, label: str = "", *, keep_on_error: bool = False
) -> Iterator[JobMark]:
    """Mark ``kind`` as running on ``store`` for the duration of the block.

    ``keep_on_error``: a job written in several transactions leaves its mark when it fails
    half-way too (some of it was saved); an all-or-nothing job does not need to."""
    if kind not in KINDS:
        raise ValueError(kind)
    store.check_writable()  # no mark either in a database whose writes are held
    key = PREFIX + new_id()
    store.set_meta(key, json.dumps({
        "kind": kind, "label": label,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }, ensure_ascii=False))
    mark = JobMark(store, key)
    try:
        yield mark
    except BaseException:
        if not keep_on_error:
            store.delete_meta(key)
        raise
    mark.clear()


def unfinished_jobs(store: Store) -> list[UnfinishedJob]:
    jobs = []
    for value in store.meta_values(PREFIX):
        data = json.loads(value)
        jobs.append(UnfinishedJob(str(data["kind"]), str(data.get("label") or ""),
                                  dt.datetime.fromisoformat(str(data["started"]))))
    return sorted(jobs, key=lambda j: j.started)

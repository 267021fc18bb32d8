"""Redaction: a cancellation overwrites a record's fields in its history too, locally and
at headquarters, whatever order the operations arrive in; nothing else can rewrite the log."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from oma_desktop.core import driver
from oma_desktop.core.errors import UnloggedWriteError
from oma_desktop.core.store import Store, open_store
from oma_desktop.services.integrity import run_checks

SECRET = {"given_names": "Yusmary", "paternal_surname": "Quispe", "phone": "987654321"}
BLANK = {"given_names": "Anonimizada", "paternal_surname": "", "phone": "", "notes": ""}


def _open(path: Path, casa: str, installation: str) -> Store:
    store = open_store(path)
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    return store


def _log_text(store: Store) -> str:
    return " ".join(r["fields"] for r in store.rows("SELECT fields FROM change_log"))


def _person_with_history(store: Store) -> str:
    with store.transaction("u") as tx:
        pid = tx.create("person", {**SECRET, "sex": "F", "created_at": "2026-12-01"})
    with store.transaction("u") as tx:
        tx.update("person", pid, {"phone": "912345678", "notes": "Vive con Yusmary hija"})
    return pid


def test_a_redaction_leaves_no_old_value_in_the_log(store: Store) -> None:
    pid = _person_with_history(store)
    with store.transaction("u") as tx:
        tx.redact("person", pid, BLANK)
    row = store.get("person", pid)
    assert (row["given_names"], row["phone"], row["notes"], row["sex"]) == (
        "Anonimizada", "", "", "F")
    text = _log_text(store)
    assert "Yusmary" not in text and "Quispe" not in text and "912345678" not in text
    assert "987654321" not in text
    assert '"sex":"F"' in text  # what was not redacted stays
    assert [op.kind for op in store.operations(pid)] == ["create", "update", "redact"]
    assert not [c for c in run_checks(store) if not c.ok]  # rows are still their fold


def test_the_log_cannot_be_rewritten_outside_a_redaction(store: Store, tmp_path: Path) -> None:
    pid = _person_with_history(store)
    with pytest.raises(driver.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE change_log SET fields = '{}' WHERE entity_id = ?", [pid])
    with driver.redacting(store.conn), pytest.raises(driver.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE change_log SET hlc = hlc + 1 WHERE entity_id = ?", [pid])
    raw = sqlite3.connect(store.path)  # another program has no oma_redacting()
    with pytest.raises(sqlite3.OperationalError, match="oma_redacting"):
        raw.execute("UPDATE change_log SET fields = '{}' WHERE entity_id = ?", [pid])
    raw.close()
    with pytest.raises(UnloggedWriteError), store.transaction("u") as tx:
        tx.create("person", {"given_names": "X", "created_at": "2026-12-01"})
        store.conn.execute("UPDATE change_log SET fields = '{}' WHERE entity_id = ?", [pid])
    assert "Yusmary" in _log_text(store)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_headquarters_redacts_its_copy_in_any_arrival_order(tmp_path: Path, seed: int) -> None:
    casa = _open(tmp_path / "casa.sqlite3", "CV1", "inst-cv1")
    pid = _person_with_history(casa)
    early = casa.operations(pid)  # what an earlier USB file carried, before the redaction
    with casa.transaction("u") as tx:
        tx.redact("person", pid, BLANK)
    ops = [op for op in casa.operations() if op.installation == "inst-cv1"]
    shuffled = ops[:]
    random.Random(seed).shuffle(shuffled)

    hq = _open(tmp_path / f"hq{seed}.sqlite3", "CV1", "inst-hq")
    hq.apply(early)  # the old file first: HQ held the name
    assert "Yusmary" in _log_text(hq)
    hq.apply(shuffled)
    hq.apply(early)  # a copy of the old file imported again: already held, no error
    assert "Yusmary" not in _log_text(hq) and "987654321" not in _log_text(hq)
    assert hq.get("person", pid)["given_names"] == "Anonimizada"
    fresh = _open(tmp_path / f"fresh{seed}.sqlite3", "CV1", "inst-f")
    fresh.apply(shuffled)  # the redaction may arrive before the operations it redacts
    assert "Yusmary" not in _log_text(fresh)
    assert [o.fields for o in fresh.operations(pid)] == [o.fields for o in hq.operations(pid)]
    for s in (casa, hq, fresh):
        s.close()

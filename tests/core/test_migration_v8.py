"""Schema 8: consultation topics as rows, kept by triggers for local writes and applied
operations alike, and filled from the consultations already there."""

from __future__ import annotations

import json
from pathlib import Path

from oma_desktop.core.migrations import MIGRATIONS
from oma_desktop.core.store import Store, open_store


def _topics(store: Store, cid: str) -> list[str]:
    return [r["topic"] for r in store.rows(
        "SELECT topic FROM consultation_topic WHERE consultation_id = ? ORDER BY topic", [cid])]


def _consultation(store: Store, topics: list[str]) -> str:
    with store.transaction("u") as tx:
        pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-12-02"})
        return tx.create("consultation", {
            "person_id": pid, "casa_id": "CV1", "occurred_at": "2026-12-02T09:00",
            "channel": "presencial", "topics": json.dumps(topics)})


def test_topics_follow_every_write_and_apply(store: Store, tmp_path: Path) -> None:
    cid = _consultation(store, ["SALUD_SIS", "EMPLEO"])
    assert _topics(store, cid) == ["EMPLEO", "SALUD_SIS"]
    with store.transaction("u") as tx:
        tx.update("consultation", cid, {"topics": json.dumps(["VIVIENDA"])})
    assert _topics(store, cid) == ["VIVIENDA"]
    other = open_store(tmp_path / "hq.sqlite3")
    other.set_meta("installation_id", "inst-hq")
    other.set_meta("casa_id", "CV1")
    try:
        other.apply(store.operations())
        assert _topics(other, cid) == ["VIVIENDA"]
    finally:
        other.close()


def test_consultations_before_schema_8_get_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    old = open_store(path, migrations=MIGRATIONS[:7])
    old.set_meta("installation_id", "inst-test")
    old.set_meta("casa_id", "CV1")
    try:
        cid = _consultation(old, ["EMPLEO", "EDUCACION"])
    finally:
        old.close()
    store = open_store(path, backup_dir=tmp_path / "backups")
    try:
        assert _topics(store, cid) == ["EDUCACION", "EMPLEO"]
    finally:
        store.close()

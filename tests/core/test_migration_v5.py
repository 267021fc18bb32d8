"""Schema 5: the seeded service directory and referrals with a unique code."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.seed import DIRECTORY_REVISION, directory_operations, service_id
from oma_desktop.core.store import Store

DIRECTORY_DIGESTS = {
    1: "65e142e1cfe456808f5a57834c64eb0200a0eb2680b20773af4d31548ee98742",
    2: "06b48d9154ceb21256dc2962472460924b6b790119b2f2aec651063fe0eac0d7",
}


def test_the_directory_is_seeded_from_the_catalog_with_sources(store: Store) -> None:
    institutions = load_catalogs().institutions
    assert store.scalar("SELECT count(*) FROM service") == len(institutions) >= 20
    migraciones = store.get("service", service_id("MIGRACIONES"))
    assert migraciones["name"] == "Superintendencia Nacional de Migraciones"
    assert "Av. España 734" in migraciones["address"]
    assert migraciones["source"].startswith("http")
    assert store.operations(migraciones["id"])[0].installation.startswith("00000000")


@pytest.mark.parametrize("revision", [1, 2])
def test_the_seeded_directory_is_frozen_for_its_revision(revision: int) -> None:
    """A change to institutions.csv must bump DIRECTORY_REVISION (new op ids, later clocks)."""
    ops = directory_operations(load_catalogs().institutions, revision)
    digest = hashlib.sha256("\n".join(repr(op.as_row()) for op in ops).encode()).hexdigest()
    assert (DIRECTORY_REVISION, digest) == (2, DIRECTORY_DIGESTS[revision])


def test_a_referral_code_cannot_be_taken_over_by_replace(store: Store) -> None:
    with store.transaction("u") as tx:
        pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-12-02"})
        ref = tx.create("referral", {
            "code": "CV1-2026-000001", "casa_id": "CV1", "year": 2026, "number": 1,
            "person_id": pid, "service_id": service_id("SIS"), "due_date": "2026-12-16",
            "issued_at": "2026-12-02T10:00"})
    raw = sqlite3.connect(store.path)
    raw.execute(
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('c9', 'CV1', 'x', 1, 9e15, 'u', 'referral', 'r9',"
        " 'create', ?)",
        ['{"code":"CV1-2026-000001","casa_id":"CV1","year":2026,"number":1,'
         f'"person_id":"{pid}","service_id":"{service_id("SIS")}","due_date":"2026-12-16",'
         '"issued_at":"2026-12-02T11:00"}'])
    with pytest.raises(sqlite3.IntegrityError, match="oma: "):
        raw.execute(
            "INSERT OR REPLACE INTO referral (id, code, casa_id, year, number, person_id,"
            " service_id, due_date, issued_at, last_op_id) VALUES ('r9', 'CV1-2026-000001',"
            " 'CV1', 2026, 1, ?, ?, '2026-12-16', '2026-12-02T11:00', 'c9')",
            [pid, service_id("SIS")])
    raw.close()
    assert store.get("referral", ref) is not None

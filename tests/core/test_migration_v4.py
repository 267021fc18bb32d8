"""Schema 4: document keys, follow-up calls, inline household members, duplicates to review."""

from __future__ import annotations

import pytest

from oma_desktop.core.store import Store
from oma_desktop.core.text import document_number_key


@pytest.mark.parametrize(
    ("typed", "key"),
    [("V-14.567.890", "14567890"), ("14567890", "14567890"), ("014567890", "14567890"),
     ("002345678", "2345678"), ("2345678", "2345678"), ("11.459.601", "11459601"),
     ("AB1234567", "1234567"), ("ABC", "ABC"), ("000", "0"), ("", "")],
)
def test_documents_compare_by_their_digits(typed: str, key: str) -> None:
    assert document_number_key(typed) == key


def test_the_new_tables_are_written_through_the_log(store: Store) -> None:
    with store.transaction("u") as tx:
        pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-01-01"})
        doc = tx.create("document", {"person_id": pid, "doc_type": "CE", "number": "001234567"})
        hh = tx.create("household", {"casa_id": "CV1"})
        child = tx.create("household_member", {
            "household_id": hh, "relationship": "hijo", "given_names": "Luis",
            "birth_date": "2019-05-01", "birth_date_estimated": 1})
        tx.create("follow_up_call", {"casa_id": "CV1", "person_id": pid, "document_id": doc,
                                     "called_at": "2026-12-02T10:00", "result": "no_contesta"})
        tx.create("duplicate_review", {"casa_id": "CV1", "data": "{}", "created_at": "2026-12-02",
                                       "candidates": [pid]})
    assert store.get("document", doc)["number_key"] == "1234567"
    member = store.get("household_member", child)
    assert member["person_id"] is None and member["given_names"] == "Luis"
    with store.transaction("u") as tx:  # later the member becomes a full record
        kid = tx.create("person", {"given_names": "Luis", "created_at": "2026-12-02"})
        tx.update("household_member", child, {"person_id": kid})
    assert store.operations(child)[-1].base_op_id == store.operations(child)[0].op_id

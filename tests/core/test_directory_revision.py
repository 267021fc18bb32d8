"""The seeded directory's revision 2 (issue #8.1): the person-facing Spanish columns of
institutions.csv, seeded as headquarters-owned updates that a local edit outranks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oma_desktop.core.catalogs import Institution, load_catalogs
from oma_desktop.core.migrations import MIGRATIONS
from oma_desktop.core.oplog import fold
from oma_desktop.core.seed import (
    SEED_INSTALLATION,
    all_directory_operations,
    directory_operations,
    service_id,
)
from oma_desktop.core.store import Store, open_store

INSTITUTIONS = load_catalogs().institutions
# the research notes' English and its markers, which must never reach a person
RESEARCH_WORDS = re.compile(
    r"\b(not found|appointment|old guide|uncertain|outdated|closed|former|NGO|UN agency"
    r"|Public|Mon|Fri|Sat|none|via)\b", re.IGNORECASE)
ES_FIELDS = {"kind": "kind_es", "description": "description_es",
             "requirements": "requirements_es", "address": "address_es",
             "district_ubigeo": "district_ubigeo", "phone": "phone_es", "hours": "hours_es",
             "name": "display_name_es"}


def _expected(inst: Institution) -> dict[str, object]:
    values = {field: getattr(inst, column) for field, column in ES_FIELDS.items()}
    values["name"] = inst.display_name_es or inst.name_es  # a correction where one is needed
    return values


def _seeded(store: Store, inst: Institution) -> dict[str, object]:
    row = store.get("service", service_id(inst.code))
    return {field: row[field] for field in ES_FIELDS}


def test_a_new_database_holds_the_spanish_columns_of_the_catalog(store: Store) -> None:
    for inst in INSTITUTIONS:
        assert _seeded(store, inst) == _expected(inst), inst.code
        row = store.get("service", service_id(inst.code))
        assert (row["name"], row["source"], row["notes"]) == (
            inst.display_name_es or inst.name_es, inst.source, inst.notes)


@pytest.mark.parametrize("inst", INSTITUTIONS, ids=lambda i: i.code)
def test_the_spanish_columns_carry_no_research_english(inst: Institution) -> None:
    for column in ES_FIELDS.values():
        value = getattr(inst, column) or ""
        assert not RESEARCH_WORDS.search(value), (column, value)
        assert value.strip() not in {"-", "–"}, column


def test_every_street_address_has_the_district_it_names() -> None:
    districts = {d.ubigeo: d.name for d in load_catalogs().districts}
    with_address = [i for i in INSTITUTIONS if i.address_es and
                    not i.address_es.startswith("En internet")]
    assert len(with_address) == 5
    for inst in with_address:
        assert inst.district_ubigeo is not None, inst.code
        assert districts[inst.district_ubigeo] in inst.address_es, inst.code
    # an address in the research notes that is not one place to go keeps no district
    assert load_catalogs().institution("ESPACIOS_PROTECCION").district_ubigeo is None
    assert load_catalogs().institution("CEPR").address_es == ""  # former offices only


def test_revision_2_updates_only_the_fields_it_changes_with_greater_low_clocks() -> None:
    first = {op.entity_id: op for op in directory_operations(INSTITUTIONS, 1)}
    second = directory_operations(INSTITUTIONS, 2)
    assert len(second) == len(INSTITUTIONS)
    for op in second:
        created = first[op.entity_id]
        assert (op.kind, op.base_op_id, op.installation) == (
            "update", created.op_id, SEED_INSTALLATION)
        assert created.hlc < 2_000 < op.hlc < 3_000
        values = op.values()
        assert set(values) <= set(ES_FIELDS)
        assert all(created.values().get(k) != v for k, v in values.items())
    seqs = [op.seq for op in all_directory_operations(INSTITUTIONS)]
    assert seqs == list(range(seqs[0], seqs[0] + 2 * len(INSTITUTIONS)))


def test_a_database_at_schema_5_gets_revision_2_and_keeps_a_coordinators_edit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "oma.sqlite3"
    old = open_store(path, migrations=MIGRATIONS[:5])
    old.set_meta("installation_id", "inst-test")
    old.set_meta("casa_id", "CV1")
    sis, migraciones = service_id("SIS"), service_id("MIGRACIONES")
    try:
        assert "Carné de Extranjería" in old.get("service", sis)["requirements"]  # revision 1
        with old.transaction("coordinadora") as tx:
            tx.update("service", sis, {"requirements": "Traer DNI o carné; preguntar por Ana.",
                                       "phone": "(01) 514-5555"})
            tx.update("service", migraciones, {"hours": "Lunes a viernes, 8:00 a 16:00"})
    finally:
        old.close()

    store = open_store(path, backup_dir=tmp_path / "backups")
    try:
        assert store.schema_version == MIGRATIONS[-1].version
        catalog = load_catalogs()
        row = store.get("service", sis)
        # the coordinator's fields stay; revision 2 brings every field they did not touch
        assert (row["requirements"], row["phone"]) == (
            "Traer DNI o carné; preguntar por Ana.", "(01) 514-5555")
        assert row["kind"] == "Entidad pública"
        assert row["description"] == catalog.institution("SIS").description_es
        row = store.get("service", migraciones)
        assert row["hours"] == "Lunes a viernes, 8:00 a 16:00"
        assert (row["address"], row["district_ubigeo"], row["requirements"]) == (
            "Av. España 734, Breña (sede central)", "150105",
            catalog.institution("MIGRACIONES").requirements_es)
        for inst in INSTITUTIONS:
            if inst.code not in {"SIS", "MIGRACIONES"}:
                assert _seeded(store, inst) == _expected(inst), inst.code
            ops = store.operations(service_id(inst.code))
            current = store.get("service", service_id(inst.code))
            assert {k: current[k] for k in fold(ops).values} == fold(ops).values
        # the upgraded log holds the very operations a new database holds
        seeded = set(all_directory_operations(INSTITUTIONS))
        assert seeded <= set(store.operations())
        again = store.apply(directory_operations(INSTITUTIONS, 2))
        assert (again.applied, again.skipped) == (0, len(INSTITUTIONS))
    finally:
        store.close()


def test_an_entry_without_an_address_keeps_no_district(store: Store) -> None:
    op = next(o for o in directory_operations(INSTITUTIONS, 2)
              if o.entity_id == service_id("SIS"))
    assert "district_ubigeo" not in json.loads(op.fields)  # unchanged: still no district
    assert store.get("service", service_id("SIS"))["district_ubigeo"] is None

"""Shared reference records that every installation holds from the start.

The six casas and one reception account per casa are headquarters-owned records: they have
fixed ids and are logged ONCE, as operations with fixed op ids, the headquarters origin and
the lowest clocks, so every installation holds the very same operations. Merged at
headquarters they are one set (the same op ids), and any later change (a casa renamed at a
casa, or headquarters sending a new name) has a greater clock and wins.

These operations are frozen: never edit one. A correction ships as a new operation with a
new fixed id and a greater (still tiny) clock, appended to ``SEED_REVISIONS``. The default
names and addresses come from ``resources/catalogs/casas.csv`` (see its ``source`` column);
a test keeps the two in step.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from oma_desktop.core.oplog import Operation

if TYPE_CHECKING:
    from oma_desktop.core.catalogs import Institution

SEED_NAMESPACE = uuid.UUID("6f0c1b7e-5a3d-4c2e-9b1f-0d4a8e2c7b15")
SEED_INSTALLATION = "00000000-0000-0000-0000-000000000000"
SEED_CASA = "HQ"  # sorts before every casa code only by clock: hlc decides first
# headquarters' own code: the casa its records are filed under (migration 11 seeds its casa
# record); the same "HQ" its public key file names
HQ_CODE = SEED_CASA
HQ_NAME = "Sede central"
SEED_USER = "system"
SEED_SCHEMA_VERSION = 3

# (code, default name, default address) — resources/catalogs/casas.csv
CASAS: tuple[tuple[str, str, str], ...] = tuple(
    (f"CV{n}", f"Casa Vecinal {n}", "") for n in range(1, 7)
)


def seed_id(*parts: str) -> str:
    """A fixed UUID for a seeded record or operation."""
    return str(uuid.uuid5(SEED_NAMESPACE, "/".join(parts)))


def reception_user_id(casa: str) -> str:
    """The id of the seeded reception account of ``casa``."""
    return seed_id("app_user", "recepcion", casa)


def _fields(values: dict[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _records() -> list[tuple[str, str, dict[str, object]]]:
    records: list[tuple[str, str, dict[str, object]]] = []
    for code, name, address in CASAS:
        records.append(("casa", code, {"name": name, "address": address}))
    for code, _name, _address in CASAS:
        records.append((
            "app_user",
            reception_user_id(code),
            {
                "username": f"recepcion.{code.lower()}",
                "display_name": "Recepción",
                "role": "recepcion",
                "casa_id": code,
            },
        ))
    return records


def seed_operations() -> tuple[Operation, ...]:
    """The frozen headquarters-owned operations every installation starts with."""
    ops = []
    for seq, (entity, entity_id, values) in enumerate(_records(), start=1):
        ops.append(Operation(
            op_id=seed_id("op", entity, entity_id, "1"),
            casa=SEED_CASA,
            installation=SEED_INSTALLATION,
            seq=seq,
            hlc=seq,  # the lowest clocks: any real change is greater
            user_id=SEED_USER,
            entity=entity,
            entity_id=entity_id,
            kind="create",
            fields=_fields(values),
            base_op_id=None,
            schema_version=SEED_SCHEMA_VERSION,
        ))
    return tuple(ops)


# --- the service directory (migrations 5 and 6) ---------------------------------------------

# The latest revision of the seeded directory. Each revision is a frozen set of operations
# (a test pins each one's digest), applied by the migration that introduced it:
#
# * revision 1 (migration 5) creates every entry from the reference's research columns of
#   ``resources/catalogs/institutions.csv``, as they were gathered (English notes);
# * revision 2 (migration 6) writes the person-facing ``*_es`` columns (name where
#   ``display_name_es`` corrects it, type, description,
#   requirements, address, district, phone, hours): one ``update`` per entry, carrying only
#   the fields whose value changed.
#
# A later revision's operations have new op ids and greater clocks (``1_000 * revision +
# position``) than the earlier ones, so they override them; they are still far below any
# clock a real edit gets, so a coordinator's edit (before or after the revision arrives)
# keeps the fields it wrote. Installations migrated before and after a revision hold the
# very same operations once migrated. A catalog change needs a new revision (and the
# migration that applies it); never edit a released one.
DIRECTORY_REVISION = 2
_DIRECTORY_SCHEMA = {1: 5, 2: 6}  # revision -> the schema version that introduced it


def service_id(code: str) -> str:
    """The fixed id of the directory entry seeded from the institution ``code``."""
    return seed_id("service", code)


def _directory_values(inst: Institution, revision: int) -> dict[str, object]:
    """What revision ``revision`` says the entry of ``inst`` holds (all its fields)."""
    values: dict[str, object] = {
        "code": inst.code, "name": inst.name_es or inst.name, "acronym": inst.acronym,
        "kind": inst.kind, "description": inst.services,
        "requirements": inst.typical_requirements, "address": inst.address,
        "phone": inst.phone_email, "hours": inst.hours, "notes": inst.notes,
        "source": inst.source,
    }
    if revision >= 2:
        values.update({
            "name": inst.display_name_es or inst.name_es or inst.name,
            "kind": inst.kind_es, "description": inst.description_es,
            "requirements": inst.requirements_es, "address": inst.address_es,
            "district_ubigeo": inst.district_ubigeo, "phone": inst.phone_es,
            "hours": inst.hours_es,
        })
    return values


def _directory_revisions(institutions: Sequence[Institution]) -> list[tuple[Operation, ...]]:
    """The operations of every revision, first to latest."""
    if len(institutions) >= 1_000:
        raise ValueError("a directory revision's clocks leave room for 999 entries")
    revisions: list[tuple[Operation, ...]] = []
    seq = len(seed_operations())  # the headquarters seed's sequence stays gap-free
    held: dict[str, tuple[str, dict[str, object]]] = {}  # entity id -> (last op, values)
    for revision in range(1, DIRECTORY_REVISION + 1):
        ops = []
        for n, inst in enumerate(institutions, start=1):
            entity_id = service_id(inst.code)
            values = _directory_values(inst, revision)
            before = held.get(entity_id)
            if before is None:
                kind, written, base = "create", values, None
            else:
                kind, base = "update", before[0]
                written = {k: v for k, v in values.items() if before[1].get(k) != v}
                if not written:
                    continue
            fields = _fields(written)
            digest = hashlib.sha256(fields.encode()).hexdigest()[:16]
            seq += 1
            op = Operation(
                op_id=seed_id("op", "service", entity_id, str(revision), digest),
                casa=SEED_CASA, installation=SEED_INSTALLATION, seq=seq,
                hlc=1_000 * revision + n, user_id=SEED_USER, entity="service",
                entity_id=entity_id, kind=kind, fields=fields, base_op_id=base,
                schema_version=_DIRECTORY_SCHEMA[revision],
            )
            ops.append(op)
            held[entity_id] = (op.op_id, {**(before[1] if before else {}), **written})
        revisions.append(tuple(ops))
    return revisions


def directory_operations(
    institutions: Sequence[Institution], revision: int = 1
) -> tuple[Operation, ...]:
    """The headquarters-owned operations of one revision of the seeded directory.

    Revision 1 (the default, what migration 5 applies) creates the entries; revision 2
    (migration 6) updates the fields it changes. See :data:`DIRECTORY_REVISION`.
    """
    if not 1 <= revision <= DIRECTORY_REVISION:
        raise ValueError(f"no directory revision {revision}")
    return _directory_revisions(institutions)[revision - 1]


def all_directory_operations(institutions: Sequence[Institution]) -> tuple[Operation, ...]:
    """The operations of every revision of the seeded directory, as a migrated database
    holds them."""
    return tuple(op for ops in _directory_revisions(institutions) for op in ops)


# --- headquarters' own casa record (migration 11) -------------------------------------------


# frozen like the operation: the next after the 12 casa and reception seeds and the 56
# operations of directory revisions 1 and 2 (``every_seed_operation``'s test keeps the
# sequence gap-free, so a catalog that changes those revisions fails there)
HQ_CASA_SEQ = 69


def hq_casa_operation() -> Operation:
    """The frozen operation that creates headquarters' casa record (code :data:`HQ_CODE`,
    name :data:`HQ_NAME`): what headquarters' own records (its accounts, events, the
    organisations it registers) are filed under, so none is counted as a casa's.

    Its sequence (:data:`HQ_CASA_SEQ`) follows the seeded directory's and its clock, 9 000,
    those of the directory revisions (``1 000 × revision + position``); a later directory
    revision must therefore number its operations after this one."""
    values: dict[str, object] = {"name": HQ_NAME, "address": ""}
    return Operation(
        op_id=seed_id("op", "casa", HQ_CODE, "1"), casa=SEED_CASA,
        installation=SEED_INSTALLATION, seq=HQ_CASA_SEQ, hlc=9_000, user_id=SEED_USER,
        entity="casa", entity_id=HQ_CODE, kind="create", fields=_fields(values),
        base_op_id=None, schema_version=11,
    )


def every_seed_operation(institutions: Sequence[Institution]) -> tuple[Operation, ...]:
    """Every headquarters-owned operation a database at the latest schema holds: the casas
    and reception accounts, every directory revision and headquarters' casa record, in
    sequence order (1, 2, … without a gap)."""
    return (*seed_operations(), *all_directory_operations(institutions),
            hq_casa_operation())

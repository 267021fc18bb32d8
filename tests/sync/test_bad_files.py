"""Bad sync and reference files, on raw stores: every one refused with its Spanish reason
and the receiving database byte-for-byte unchanged.

Headquarters' ``import_export`` and a casa's ``import_reference`` get: the good file cut
at every byte of its header, manifest and signature and at points spread over its
payload; a bit flipped at every byte of the header and manifest, of the signature and
spread over the payload; trailing bytes; a file encrypted for another headquarters; a
revoked key; a file re-signed by another casa; files written *and legitimately signed*
by the sender (the sender's own keys, ``write_container``) that carry a newer schema, a
decompression bomb, an oversized payload, deeply nested or non-UTF-8 JSON, unknown or
ill-typed fields, operations of another installation or a wrong operation count.

"Unchanged" is the file itself: ``PRAGMA wal_checkpoint(TRUNCATE)`` before and after,
then the .sqlite3's bytes compared (the WAL is empty both times).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import struct
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyrage import encrypt, x25519
from raw_stores import open_raw

from oma_desktop.core.oplog import OP_COLUMNS
from oma_desktop.core.store import Store, open_store
from oma_desktop.sync import container as sc
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.container import SyncFileError, seal_payload, write_container
from oma_desktop.sync.keys import PublicKeys, SecretKeys

# --- the Spanish reasons (resources/locale/es), asserted as the user reads them ------------

REFUSED = "Se rechazó el archivo y no se cambió nada: "
NOT_SYNC = "no es un archivo de sincronización de OMA Desktop (o su comienzo está dañado)."
NEWER_FORMAT = "fue escrito por una versión más reciente de OMA Desktop; instálela en esta PC."
HEADER = "su encabezado está dañado."
INCOMPLETE = "está incompleto (quizá se copió solo en parte)."
DESCRIPTION = "su descripción está dañada."
SIGNATURE = ("su firma no corresponde a la clave registrada del remitente (el archivo fue"
             " modificado, o lo firmó otra instalación).")
LENGTH = ("su longitud no es la que tenía al escribirse (la copia está incompleta o tiene"
          " bytes de más). Exporte el archivo otra vez.")
ALTERED = "su contenido fue modificado después de firmarse."
DECRYPT = ("no se puede descifrar con la clave de esta instalación (fue cifrado para otra"
           " instalación, o está dañado).")
BOMB = "su contenido es mucho más grande de lo que declara (se rechaza por seguridad)."
DAMAGED = "su contenido está dañado."
TOO_BIG = "es más grande de lo que puede ser un archivo de sincronización."
NOT_CASA = "no es un archivo de sincronización de una casa."
NOT_REGISTERED = ("viene de una instalación que no está registrada aquí. Registre primero el"
                  " archivo de claves de la casa («oma-desktop register-casa»).")
OTHER_CASA = "dice venir de otra casa que la registrada."
OTHER_INSTALLATION = "contiene operaciones de otra instalación que la que lo envía."
OP_COUNT = "contiene otro número de operaciones que el que declara."
NEWER_OPS = "contiene operaciones de una versión más reciente de OMA Desktop."
NOT_HQ_OPS = "contiene operaciones que no escribió la sede central."
OLDER_REFERENCE = "es más antiguo que los datos de referencia que esta casa ya tiene"
NOT_REFERENCE = "no es un archivo de datos de referencia de la sede central."
OTHER_HQ = "no lo escribió la sede central en la que está inscrita esta casa."
HQ_REVOKED_ME = ("la sede central revocó la clave de esta instalación. Consulte a la sede"
                 " central qué hacer.")


def line_invalid(n: int) -> str:
    return f"la línea {n} de su contenido no es válida."


def op_invalid(n: int) -> str:
    return f"la operación {n} de su contenido no es válida."


def op_unknown(n: int) -> str:
    return (f"la operación {n} nombra un tipo de registro o un campo que esta versión de OMA"
            " Desktop no conoce (puede venir de una versión más reciente).")


UNSTORABLE = ("algunas de sus operaciones tienen valores que no se pueden guardar (el"
              " contenido está dañado).")


# --- a small network: headquarters, two casas (raw stores, as test_exchange.py) ------------

HQ_ID, CV1_ID, CV2_ID = "inst-hq", "inst-cv1", "inst-cv2"
NAMES = ("hq", "cv1", "cv2")


def person(store: Store, name: str, **extra: Any) -> str:
    with store.transaction("u") as tx:
        return tx.create("person", {"given_names": name, "sex": "F",
                                    "created_at": "2026-12-01", **extra})


def frozen(store: Store) -> bytes:
    """The database file's bytes once everything is checkpointed into it."""
    assert tuple(store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()) == (0, 0, 0)
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return store.path.read_bytes()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Headquarters with CV1 and CV2 registered (and one CV2 file already imported), the
    casas enrolled with it and holding some work. Each test works on a copy."""
    folder = tmp_path_factory.mktemp("sync-bad-template")
    hq = open_raw(folder / "hq.sqlite3", "CV1", HQ_ID, "hq")
    ex.ensure_own_keys(hq)
    hq_file = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq))
    for name, casa, installation, station in (("cv1", "CV1", CV1_ID, "AAA"),
                                               ("cv2", "CV2", CV2_ID, "BBB")):
        store = open_raw(folder / f"{name}.sqlite3", casa, installation)
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file.decode())
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, station).to_file(secret)))
        for n in range(3):
            pid = person(store, f"{casa} persona {n}")
            with store.transaction("u") as tx:
                tx.update("person", pid, {"phone": f"9{n}1234567", "zone": f"Zona {n}"})
        if name == "cv2":
            ex.import_export(hq, ex.build_export(store, station).data, "cv2-1.omasync")
        store.close()
    hq.close()
    return folder


@dataclass
class Net:
    hq: Store
    cv1: Store
    cv2: Store
    good: ex.ExportFile  # CV1's next file, as build_export writes it

    @property
    def cv1_secret(self) -> SecretKeys:
        return ex.own_keys(self.cv1)

    @property
    def cv2_secret(self) -> SecretKeys:
        return ex.own_keys(self.cv2)

    @property
    def hq_secret(self) -> SecretKeys:
        return ex.own_keys(self.hq)

    @property
    def hq_recipient(self) -> str:
        return self.hq_secret.age_recipient


@pytest.fixture
def net(template: Path, tmp_path: Path) -> Iterator[Net]:
    folder = tmp_path / "net"
    shutil.copytree(template, folder)
    stores = {name: open_store(folder / f"{name}.sqlite3") for name in NAMES}
    yield Net(stores["hq"], stores["cv1"], stores["cv2"],
              ex.build_export(stores["cv1"], "AAA"))
    for store in stores.values():
        store.close()


def refused(store: Store, attempt: Callable[[], object], reason: str) -> None:
    """``attempt`` is refused with exactly ``reason`` and ``store``'s file is unchanged."""
    before = frozen(store)
    with pytest.raises(SyncFileError) as info:
        attempt()
    assert str(info.value) == REFUSED + reason
    assert frozen(store) == before, "the database changed although the file was refused"


def refused_at_hq(net: Net, data: bytes, reason: str) -> None:
    refused(net.hq, lambda: ex.import_export(net.hq, data, "malo.omasync"), reason)


def imports_whole(net: Net) -> None:
    """After all the refusals, the good file still imports whole."""
    report = ex.import_export(net.hq, net.good.data, "bueno.omasync")
    assert (report.applied, report.op_count) == (net.good.op_count, net.good.op_count)


# --- forging files the way a sender (or an attacker with its keys) would ---------------------


def records(store: Store, installation: str) -> list[dict[str, Any]]:
    """``installation``'s operations in ``store``, as JSON Lines records."""
    return [dict(zip(OP_COLUMNS, op.as_row(), strict=True)) for op in store.operations()
            if op.installation == installation]


def lines_of(recs: list[dict[str, Any]]) -> list[bytes]:
    return [(json.dumps(r, ensure_ascii=False) + "\n").encode() for r in recs]


def forged(net: Net, lines: list[bytes], *, secret: SecretKeys | None = None,
           recipient: str | None = None, **manifest: Any) -> bytes:
    """A CV1 file with these payload lines, written and signed as build_export does (with
    CV1's keys unless ``secret``); ``manifest`` overrides the manifest's fields."""
    payload, size = seal_payload(lines, [recipient or net.hq_recipient])
    fields = {**net.good.manifest, "uncompressed_size": size, "op_count": len(lines),
              **manifest}
    return write_container(fields, payload, secret or net.cv1_secret)


def raw_payload(net: Net, raw: bytes, *, compress: bool = True,
                recipient: str | None = None) -> bytes:
    body = gzip.compress(raw, mtime=0) if compress else raw
    return encrypt(body, [x25519.Recipient.from_str(recipient or net.hq_recipient)])


def signed_bytes(body: bytes, payload: bytes, secret: SecretKeys) -> bytes:
    """A container whose manifest is ``body`` verbatim (any bytes), signed by ``secret``."""
    head = struct.pack(">8sBI", sc.MAGIC, sc.FORMAT_VERSION, len(body)) + body
    return head + secret.sign(head) + payload


def manifest_end(data: bytes) -> int:
    (length,) = struct.unpack_from(">I", data, 9)
    return 13 + length


# =========================================================================== headquarters


def test_the_good_file_cut_at_any_byte_is_refused_and_headquarters_is_unchanged(
    net: Net,
) -> None:
    data = net.good.data
    start = manifest_end(data)
    payload_at = start + sc.SIGNATURE_BYTES
    cuts = list(range(0, payload_at + 8))  # every byte of header, manifest and signature
    cuts += range(payload_at + 8, len(data), max(1, (len(data) - payload_at) // 40))
    cuts.append(len(data) - 1)
    before = frozen(net.hq)
    for cut in cuts:
        expected = NOT_SYNC if cut < 13 else INCOMPLETE if cut < payload_at else LENGTH
        with pytest.raises(SyncFileError) as info:
            ex.import_export(net.hq, data[:cut])
        assert str(info.value) == REFUSED + expected, f"cut at {cut} of {len(data)}"
    assert frozen(net.hq) == before
    imports_whole(net)


def _flip_reason(data: bytes, at: int, bit: int) -> str:
    """What the spec says a file with bit ``bit`` of byte ``at`` flipped is refused for."""
    start = manifest_end(data)
    if at < 8:
        return NOT_SYNC
    if at == 8:
        return NEWER_FORMAT if (data[8] ^ (1 << bit)) > sc.FORMAT_VERSION else HEADER
    flipped = bytearray(data)
    flipped[at] ^= 1 << bit
    if at < 13:
        (length,) = struct.unpack_from(">I", flipped, 9)
        if length > sc.MAX_MANIFEST_BYTES:
            return HEADER
        if len(data) < 13 + length + sc.SIGNATURE_BYTES:
            return INCOMPLETE
        start = 13 + length
    if at < start:
        try:
            manifest = json.loads(bytes(flipped[13:start]).decode("utf-8"))
        except ValueError:
            return DESCRIPTION
        if not isinstance(manifest, dict):
            return DESCRIPTION
        if manifest.get("kind") != ex.KIND_EXPORT:
            return NOT_CASA
        if manifest.get("installation") not in (CV1_ID, CV2_ID):
            return NOT_REGISTERED
        if manifest.get("casa") != {CV1_ID: "CV1", CV2_ID: "CV2"}[manifest["installation"]]:
            return OTHER_CASA
        return SIGNATURE
    if at < start + sc.SIGNATURE_BYTES:
        return SIGNATURE
    return ALTERED


def test_a_bit_flipped_anywhere_is_refused_and_headquarters_is_unchanged(net: Net) -> None:
    data = net.good.data
    payload_at = manifest_end(data) + sc.SIGNATURE_BYTES
    spots = list(range(payload_at))  # every byte of header, manifest and signature
    spots += range(payload_at, len(data), max(1, (len(data) - payload_at) // 60))
    spots.append(len(data) - 1)
    before = frozen(net.hq)
    seen = set()
    for at in spots:
        for bit in {at % 8, 7 - at % 8}:
            flipped = bytearray(data)
            flipped[at] ^= 1 << bit
            expected = _flip_reason(data, at, bit)
            with pytest.raises(SyncFileError) as info:
                ex.import_export(net.hq, bytes(flipped))
            assert str(info.value) == REFUSED + expected, f"bit {bit} of byte {at}"
            seen.add(expected)
    assert frozen(net.hq) == before
    # the flips reached every layer of checks
    assert {NOT_SYNC, NEWER_FORMAT, HEADER, DESCRIPTION, NOT_CASA, SIGNATURE, ALTERED} <= seen
    imports_whole(net)


def test_trailing_bytes_are_refused(net: Net) -> None:
    for tail in (b"\0", b"\n", b"x" * 4096, net.good.data):
        refused_at_hq(net, net.good.data + tail, LENGTH)
    imports_whole(net)


def test_a_file_encrypted_for_another_headquarters_is_refused(net: Net) -> None:
    other_hq = SecretKeys.generate()
    data = forged(net, lines_of(records(net.cv1, CV1_ID)), recipient=other_hq.age_recipient)
    refused_at_hq(net, data, DECRYPT)


def test_a_revoked_key_is_refused(net: Net) -> None:
    ex.revoke_peer(net.hq, CV1_ID, "PC robada")
    today = net.hq.scalar("SELECT revoked_at FROM sync_peer WHERE installation_id = ?",
                          [CV1_ID])[:10]
    refused_at_hq(net, net.good.data, f"fue firmado con una clave revocada el {today}.")


def test_a_file_re_signed_by_another_casa_is_refused(net: Net) -> None:
    data = net.good.data
    start = manifest_end(data)
    head, payload = data[:start], data[start + sc.SIGNATURE_BYTES:]
    # CV2 signs CV1's manifest and payload as they are
    refused_at_hq(net, head + net.cv2_secret.sign(head) + payload, SIGNATURE)
    # CV2 passes CV1's encrypted payload off as its own file
    as_cv2 = {**net.good.manifest, "installation": CV2_ID, "casa": "CV2", "station": "BBB"}
    refused_at_hq(net, write_container(as_cv2, payload, net.cv2_secret), OTHER_INSTALLATION)
    # ... or claims to be CV1's casa from its own installation
    refused_at_hq(net, write_container({**as_cv2, "casa": "CV1"}, payload, net.cv2_secret),
                  OTHER_CASA)
    # CV2's own operations signed with CV1's key under CV1's name
    refused_at_hq(net, forged(net, lines_of(records(net.cv2, CV2_ID))), OTHER_INSTALLATION)
    imports_whole(net)


def test_a_newer_schema_signed_by_the_sender_is_refused(net: Net) -> None:
    ours = net.hq.schema_version
    recs = records(net.cv1, CV1_ID)
    refused_at_hq(net, forged(net, lines_of(recs), schema_version=ours + 1),
                  f"fue escrito por una versión más reciente de OMA Desktop (esquema {ours + 1};"
                  f" esta conoce hasta el {ours}). Instale primero la versión más reciente en"
                  " la sede central.")
    recs[-1]["schema_version"] = ours + 1
    refused_at_hq(net, forged(net, lines_of(recs)), NEWER_OPS)
    imports_whole(net)


def test_a_decompression_bomb_is_refused(net: Net) -> None:
    bomb = raw_payload(net, b"\n" * (32 * 1024 * 1024))  # 32 MiB in some 32 KiB
    manifest = {**net.good.manifest, "op_count": 0, "uncompressed_size": 4096}
    refused_at_hq(net, write_container(manifest, bomb, net.cv1_secret), BOMB)
    # a payload that is not gzip, or gzip with bytes after its end
    good_raw = b"".join(lines_of(records(net.cv1, CV1_ID)))
    refused_at_hq(net, write_container(manifest, raw_payload(net, good_raw, compress=False),
                                       net.cv1_secret), DAMAGED)
    trailing = encrypt(gzip.compress(good_raw, mtime=0) + b"junk",
                       [x25519.Recipient.from_str(net.hq_recipient)])
    refused_at_hq(net, write_container({**manifest, "uncompressed_size": len(good_raw)},
                                       trailing, net.cv1_secret), DAMAGED)


def test_a_manifest_claiming_more_than_any_payload_may_hold_is_refused(net: Net) -> None:
    """The limit a bomb is measured against is the manifest's own claim: one beyond what
    any payload may hold is refused before anything is decompressed (at both ends)."""
    lines = lines_of(records(net.cv1, CV1_ID))
    refused_at_hq(net, forged(net, lines, uncompressed_size=sc.MAX_UNCOMPRESSED_BYTES + 1),
                  DESCRIPTION)
    refused_at_casa(net, reference(net, [], uncompressed_size=sc.MAX_UNCOMPRESSED_BYTES + 1),
                    DESCRIPTION)
    imports_whole(net)


def test_an_oversized_file_or_manifest_is_refused(net: Net, monkeypatch) -> None:
    monkeypatch.setattr(sc, "MAX_FILE_BYTES", len(net.good.data) - 1)
    refused_at_hq(net, net.good.data, TOO_BIG)
    monkeypatch.undo()
    body = json.dumps({**net.good.manifest, "padding": "x" * sc.MAX_MANIFEST_BYTES}).encode()
    refused_at_hq(net, signed_bytes(body, b"", net.cv1_secret), HEADER)
    # a payload larger than the manifest says
    data = net.good.data
    refused_at_hq(net, data + bytes(1024 * 1024), LENGTH)
    imports_whole(net)


def test_deeply_nested_json_is_refused(net: Net) -> None:
    secret = net.cv1_secret
    payload = net.good.data[manifest_end(net.good.data) + sc.SIGNATURE_BYTES:]
    # a manifest nested deeper than a manifest is (signed by the sender)
    deep = {**net.good.manifest, "extra": {"a": {"b": {"c": {"d": 1}}}}}
    refused_at_hq(net, write_container(deep, payload, secret), DESCRIPTION)
    # 30,000 levels (within the manifest's 64 KiB), which json.dumps could not even write
    body = b'{"kind":"casa-export","x":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    refused_at_hq(net, signed_bytes(body, payload, secret), DESCRIPTION)
    # a payload line nested deep, and one with a nested value
    refused_at_hq(net, forged(net, [b'{"op_id":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"]),
                  line_invalid(1))
    lines = lines_of(records(net.cv1, CV1_ID))
    refused_at_hq(net, forged(net, [*lines[:2], b'{"op_id": {"a": 1}}\n']), line_invalid(3))
    imports_whole(net)


def test_deeply_nested_fields_of_an_operation_are_refused(net: Net) -> None:
    recs = records(net.cv1, CV1_ID)
    recs[0]["fields"] = '{"notes":' + "[" * 100_000 + "]" * 100_000 + "}"
    refused_at_hq(net, forged(net, lines_of(recs)), op_invalid(1))
    imports_whole(net)


def test_invalid_utf8_is_refused(net: Net) -> None:
    secret = net.cv1_secret
    payload = net.good.data[manifest_end(net.good.data) + sc.SIGNATURE_BYTES:]
    body = json.dumps(net.good.manifest).encode().replace(b'"CV1"', b'"CV\xff"')
    refused_at_hq(net, signed_bytes(body, payload, secret), DESCRIPTION)
    lines = lines_of(records(net.cv1, CV1_ID))
    bad = lines[1].replace(b'"casa": "CV1"', b'"casa": "CV\xc3\x28"')
    assert bad != lines[1]
    refused_at_hq(net, forged(net, [lines[0], bad, *lines[2:]]), line_invalid(2))
    imports_whole(net)


def test_unknown_or_ill_typed_fields_of_an_operation_are_refused(net: Net) -> None:
    recs = records(net.cv1, CV1_ID)
    cases: list[tuple[int, dict[str, Any]]] = [
        (0, {**recs[0], "admin": True}),  # a field an operation has not
        (1, {k: v for k, v in recs[1].items() if k != "base_op_id"}),  # one missing
        (2, {**recs[2], "seq": str(recs[2]["seq"])}),
        (2, {**recs[2], "hlc": 1.5}),
        (0, {**recs[0], "seq": True}),
        (1, {**recs[1], "entity": 7}),
        (1, {**recs[1], "base_op_id": 12}),
        (0, {**recs[0], "fields": '["not", "an", "object"]'}),
        (0, {**recs[0], "fields": "{not json"}),
    ]
    for index, rec in cases:
        changed = list(recs)
        changed[index] = rec
        refused_at_hq(net, forged(net, lines_of(changed)), op_invalid(index + 1))
    imports_whole(net)


def test_an_operation_of_another_installation_or_casa_is_refused(net: Net) -> None:
    recs = records(net.cv1, CV1_ID)
    other = records(net.cv2, CV2_ID)[0]
    refused_at_hq(net, forged(net, lines_of([*recs, other])), OTHER_INSTALLATION)
    refused_at_hq(net, forged(net, lines_of([*recs[:-1], {**recs[-1], "casa": "CV2"}])),
                  OTHER_INSTALLATION)
    imports_whole(net)


def test_a_wrong_operation_count_is_refused(net: Net) -> None:
    lines = lines_of(records(net.cv1, CV1_ID))
    for count in (0, len(lines) - 1, len(lines) + 1, -1, "6", None):
        refused_at_hq(net, forged(net, lines, op_count=count), OP_COUNT)
    imports_whole(net)


def test_an_operation_held_with_other_content_is_quarantined_and_the_rest_applied(
    net: Net,
) -> None:
    imports_whole(net)
    recs = records(net.cv1, CV1_ID)
    create = recs[0]
    forged_create = {**create, "fields": create["fields"].replace("persona 0", "FORJADA")}
    assert forged_create["fields"] != create["fields"]
    new = {**recs[0], "op_id": str(uuid.uuid4()), "entity_id": str(uuid.uuid4()),
           "seq": max(r["seq"] for r in recs) + 1}
    report = ex.import_export(net.hq, forged(net, lines_of([forged_create, new])), "x.omasync")
    assert (report.quarantined, report.applied, report.skipped) == (1, 1, 0)
    assert net.hq.get("person", create["entity_id"])["given_names"] == "CV1 persona 0"
    assert net.hq.get("person", new["entity_id"])["given_names"] == "CV1 persona 0"
    held = net.hq.one("SELECT op_id, reason, operation FROM sync_quarantine")
    assert held is not None and held["op_id"] == create["op_id"]
    assert "FORJADA" in held["operation"]


def test_a_file_already_imported_says_so_and_changes_nothing(net: Net) -> None:
    imports_whole(net)
    before = frozen(net.hq)
    again = ex.import_export(net.hq, net.good.data, "copia.omasync")
    assert again.already_imported and again.applied == 0
    assert frozen(net.hq) == before


# --- bad operations signed by the sender that the core refuses in English, or accepts -------


@pytest.mark.parametrize("change", [
    {"fields": json.dumps({"given_names": "Ana", "is_admin": 1})},
    {"entity": "sync_peer"},
])
def test_an_operation_on_an_unknown_field_or_entity_is_refused_in_spanish(
    net: Net, change: dict[str, Any],
) -> None:
    recs = records(net.cv1, CV1_ID)
    recs[-1] = {**recs[-1], **change}
    refused_at_hq(net, forged(net, lines_of(recs)), op_unknown(len(recs)))


@pytest.mark.parametrize("fields", [
    {"given_names": ["Ana"], "sex": "F", "created_at": "2026-12-01"},
    {"given_names": None, "sex": "F", "created_at": "2026-12-01"},
])
def test_an_operation_with_an_unstorable_value_is_refused_in_spanish(
    net: Net, fields: dict[str, Any],
) -> None:
    recs = records(net.cv1, CV1_ID)
    new = {**recs[0], "op_id": str(uuid.uuid4()), "entity_id": str(uuid.uuid4()),
           "seq": max(r["seq"] for r in recs) + 1, "fields": json.dumps(fields)}
    refused_at_hq(net, forged(net, lines_of([*recs, new])), UNSTORABLE)


def test_a_sequence_number_reused_with_another_operation_is_quarantined(net: Net) -> None:
    """What a casa PC restored from an old backup sends: new operations under numbers
    headquarters already holds. They are kept aside, not applied, and said in the report."""
    imports_whole(net)
    recs = records(net.cv1, CV1_ID)
    reused = {**recs[0], "op_id": str(uuid.uuid4()), "entity_id": str(uuid.uuid4())}
    report = ex.import_export(net.hq, forged(net, lines_of([reused])))
    assert (report.applied, report.quarantined) == (0, 1)
    assert net.hq.get("person", reused["entity_id"]) is None
    held = net.hq.one("SELECT op_id, reason FROM sync_quarantine")
    assert held is not None and held["op_id"] == reused["op_id"]
    assert held["reason"] == "sequence number reused"


def test_an_operation_with_a_clock_at_the_end_of_time_is_refused(net: Net) -> None:
    recs = records(net.cv1, CV1_ID)
    recs[-1] = {**recs[-1], "hlc": 2**63 - 1}
    data = forged(net, lines_of(recs))
    before = frozen(net.hq)
    with pytest.raises(SyncFileError, match="^" + REFUSED):
        try:
            ex.import_export(net.hq, data)
        finally:
            assert frozen(net.hq) == before
    with net.hq.transaction("analista") as tx:  # headquarters can still save
        tx.update("casa", "CV2", {"address": "Jr. Ancash 100"})


# =========================================================================== casa side


def reference(net: Net, lines: list[bytes], *, secret: SecretKeys | None = None,
              recipient: str | None = None, **manifest: Any) -> bytes:
    """A reference file for CV1 with these payload lines, signed by headquarters."""
    payload, size = seal_payload(lines, [recipient or net.cv1_secret.age_recipient])
    fields = {"kind": ex.KIND_REFERENCE, "casa": "CV1", "installation": HQ_ID,
              "targets": [CV1_ID], "version": 1, "schema_version": net.hq.schema_version,
              "created_at": "2026-12-02T08:00:00+00:00", "uncompressed_size": size,
              **manifest}
    return write_container(fields, payload, secret or net.hq_secret)


def refused_at_casa(net: Net, data: bytes, reason: str) -> None:
    refused(net.cv1, lambda: ex.import_reference(net.cv1, data, "malo.omaref"), reason)


def hq_service_edit(net: Net) -> ex.ExportFile:
    service = net.hq.scalar("SELECT id FROM service ORDER BY id LIMIT 1")
    with net.hq.transaction("analista") as tx:
        tx.update("service", service, {"hours": "L-V 8:00-13:00"})
    return ex.build_reference(net.hq, "CV1")


def test_a_reference_file_cut_or_flipped_anywhere_is_refused_and_the_casa_is_unchanged(
    net: Net,
) -> None:
    good = hq_service_edit(net).data
    start = manifest_end(good)
    payload_at = start + sc.SIGNATURE_BYTES
    before = frozen(net.cv1)
    for cut in [*range(0, payload_at + 4, 3), *range(payload_at + 4, len(good), 37)]:
        expected = NOT_SYNC if cut < 13 else INCOMPLETE if cut < payload_at else LENGTH
        with pytest.raises(SyncFileError) as info:
            ex.import_reference(net.cv1, good[:cut])
        assert str(info.value) == REFUSED + expected, f"cut at {cut}"
    for at in [*range(13, start, 5), *range(start, payload_at, 7),
               *range(payload_at, len(good), 41)]:
        flipped = bytearray(good)
        flipped[at] ^= 1 << (at % 8)
        with pytest.raises(SyncFileError) as info:
            ex.import_reference(net.cv1, bytes(flipped))
        reason = str(info.value).removeprefix(REFUSED)
        if at >= payload_at:
            assert reason == ALTERED, at
        elif at >= start:
            assert reason == SIGNATURE, at
        else:  # the manifest: unreadable, or no longer headquarters', or not its signature
            assert reason in (DESCRIPTION, NOT_REFERENCE, OTHER_HQ, SIGNATURE), (at, reason)
    assert frozen(net.cv1) == before
    assert ex.import_reference(net.cv1, good).version == json.loads(
        good[13:13 + int.from_bytes(good[9:13], "big")])["version"]


def test_bad_reference_files_are_refused_and_the_casa_is_unchanged(net: Net) -> None:
    good = hq_service_edit(net)
    hq_ops = [ex.op_line(op) for op in net.hq.operations() if op.installation == HQ_ID]
    ack = [b'{"installation":"inst-cv1","record":"ack","seq":3}\n']
    refused_at_casa(net, good.data + b"\0", LENGTH)
    # encrypted for another casa's PC although it names CV1's
    refused_at_casa(net, reference(net, hq_ops, recipient=net.cv2_secret.age_recipient), DECRYPT)
    # signed by a casa (CV2's key) in headquarters' name
    refused_at_casa(net, reference(net, hq_ops, secret=net.cv2_secret), SIGNATURE)
    refused_at_casa(net, reference(net, hq_ops, installation=CV2_ID), OTHER_HQ)
    refused_at_casa(net, reference(net, hq_ops, kind=ex.KIND_EXPORT), NOT_REFERENCE)
    refused_at_casa(net, reference(net, hq_ops, targets=[CV2_ID]),
                    "fue escrito para otra casa u otra PC.")
    refused_at_casa(net, reference(net, hq_ops, schema_version=net.cv1.schema_version + 1),
                    NEWER_FORMAT)
    refused_at_casa(net, reference(net, hq_ops, version=0), OLDER_REFERENCE
                    + " (versión 0; esta casa tiene la versión 0). Pida a la sede central el"
                    " archivo más reciente.")
    # operations headquarters did not write (a casa's, passed off by headquarters' key)
    cv2_ops = lines_of(records(net.cv2, CV2_ID))
    refused_at_casa(net, reference(net, [*hq_ops, *cv2_ops]), NOT_HQ_OPS)
    # the key list says this PC was revoked
    revoked = b'{"casa":"CV1","fingerprint":"x","installation":"inst-cv1","record":"key",' \
              b'"revoked_at":"2026-12-01T10:00:00+00:00"}\n'
    refused_at_casa(net, reference(net, [*hq_ops, revoked]), HQ_REVOKED_ME)
    # unknown record kinds, ill-typed acknowledgements, unknown fields, bad lines
    n = len(hq_ops) + 1
    for bad in (b'{"record":"grant","role":"admin_hq"}\n',
                b'{"installation":"inst-cv1","record":"ack","seq":"99"}\n',
                b'{"installation":"inst-cv1","record":"ack","seq":-1}\n'):
        refused_at_casa(net, reference(net, [*hq_ops, bad]), op_invalid(n))
    refused_at_casa(net, reference(net, [*hq_ops, b"[1]\n"]), line_invalid(n))
    refused_at_casa(net, reference(net, [*hq_ops, b'{"a":"\xff"}\n']), line_invalid(n))
    refused_at_casa(net, reference(net, [*hq_ops, b'{"a":' + b"[" * 50_000 + b"]" * 50_000
                                         + b"}\n"]), line_invalid(n))
    # a bomb
    bomb = raw_payload(net, b"\n" * (16 * 1024 * 1024), recipient=net.cv1_secret.age_recipient)
    manifest = {"kind": ex.KIND_REFERENCE, "casa": "CV1", "installation": HQ_ID,
                "targets": [CV1_ID], "version": 5, "schema_version": net.hq.schema_version,
                "uncompressed_size": 100}
    refused_at_casa(net, write_container(manifest, bomb, net.hq_secret), BOMB)
    # after all that, the good file and its acknowledgement go in
    got = ex.import_reference(net.cv1, reference(net, [*hq_ops, *ack], version=2))
    assert (got.version, got.acked_seq) == (2, 3)
    service = net.hq.scalar("SELECT id FROM service ORDER BY id LIMIT 1")
    assert net.cv1.get("service", service)["hours"] == "L-V 8:00-13:00"


def test_the_reference_age_counts_from_headquarters_date(net: Net) -> None:
    ex.import_reference(net.cv1, hq_service_edit(net).data)
    written = net.cv1.meta(ex.REFERENCE_AT_META)
    assert written is not None
    days = ex.reference_age_days(net.cv1, dt.date.fromisoformat(written[:10])
                                 + dt.timedelta(days=9))
    assert days == 9

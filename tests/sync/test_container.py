"""The sync file container: signed manifest, encrypted payload, every bad input refused."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from pyrage import encrypt, x25519

from oma_desktop.sync.container import (
    SyncFileError,
    open_payload,
    read_container,
    refuse,
    seal_payload,
    write_container,
)
from oma_desktop.sync.keys import PublicKeys, SecretKeys, SyncKeyError

CASA = SecretKeys.generate()
HQ = SecretKeys.generate()
OTHER = SecretKeys.generate()
LINES = [b'{"op_id":"a","seq":1}\n', b'{"op_id":"b","seq":2}\n']


def _file(secret: SecretKeys = CASA, lines: list[bytes] = LINES) -> bytes:
    payload, size = seal_payload(lines, [HQ.age_recipient])
    return write_container({"kind": "casa-export", "installation": "inst-1",
                            "uncompressed_size": size}, payload, secret)


def _known(manifest: dict[str, Any]) -> bytes:
    if manifest.get("installation") != "inst-1":
        raise refuse("remitente desconocida")
    return CASA.sign_public


def test_a_file_round_trips_and_an_independent_age_reads_its_payload() -> None:
    data = _file()
    container = read_container(data, _known)
    assert container.manifest["kind"] == "casa-export" and container.manifest["payload_size"]
    assert list(open_payload(container.payload, HQ.age_identity)) == [
        {"op_id": "a", "seq": 1}, {"op_id": "b", "seq": 2}]
    from pyrage import decrypt  # what `age --decrypt` + `gunzip` do

    raw = gzip.decompress(decrypt(container.payload, [x25519.Identity.from_str(HQ.age_identity)]))
    assert raw == b"".join(LINES)
    assert b"op_id" not in data  # nothing readable on the stick


def _refused(data: bytes, match: str | None = None) -> str:
    with pytest.raises(SyncFileError, match=match) as info:
        container = read_container(data, _known)
        list(open_payload(container.payload, HQ.age_identity))
    assert "no se cambió nada" in str(info.value)
    return str(info.value)


def test_every_truncation_and_every_flipped_byte_is_refused() -> None:
    data = _file()
    for cut in range(0, len(data), max(1, len(data) // 97)):
        _refused(data[:cut])
    for at in range(0, len(data), max(1, len(data) // 211)):
        flipped = bytearray(data)
        flipped[at] ^= 0x01
        _refused(bytes(flipped))
    _refused(data + b"\0", "longitud")


def test_a_file_signed_by_another_installation_or_unknown_is_refused() -> None:
    _refused(_file(OTHER), "firma")
    data = _file()
    manifest_start = 13
    assert data[manifest_start:manifest_start + 1] == b"{"
    with pytest.raises(SyncFileError, match="desconocida"):
        read_container(data.replace(b'"inst-1"', b'"inst-9"'), _known)


def test_a_file_for_another_receiver_is_refused() -> None:
    container = read_container(_file(), _known)
    with pytest.raises(SyncFileError, match="otra instalación"):
        list(open_payload(container.payload, OTHER.age_identity))


def _forged_payload(raw: bytes, *, compress: bool = True) -> bytes:
    body = gzip.compress(raw) if compress else raw
    payload = encrypt(body, [x25519.Recipient.from_str(HQ.age_recipient)])
    return write_container({"kind": "casa-export", "installation": "inst-1"}, payload, CASA)


@pytest.mark.parametrize("raw, reason", [
    (b'{"op_id": [1, 2]}\n', "no es válida"),  # nested
    (b"[1, 2, 3]\n", "no es válida"),  # not an object
    (b'{"op_id": "\xff\xfe"}\n', "no es válida"),  # not UTF-8
    (b"{" * 10_000 + b"\n", "no es válida"),  # deeply nested
    (b'{"op_id": "a"\n', "no es válida"),  # broken JSON
])
def test_bad_content_is_refused(raw: bytes, reason: str) -> None:
    _refused(_forged_payload(raw), reason)


def test_a_decompression_bomb_and_a_payload_that_is_not_gzip_are_refused() -> None:
    bomb = _forged_payload(b"\n" * (64 * 1024 * 1024))
    container = read_container(bomb, _known)
    with pytest.raises(SyncFileError, match="mucho más grande"):
        list(open_payload(container.payload, HQ.age_identity, max_uncompressed=8 * 1024 * 1024))
    _refused(_forged_payload(b'{"a":1}\n', compress=False), "dañado")


def test_key_files_are_self_signed_and_checked() -> None:
    keys = PublicKeys("casa", "inst-1", "CV1", "7KQ", CASA.sign_public, CASA.age_recipient,
                      "2026-12-02T09:00:00+00:00")
    data = keys.to_file(CASA)
    assert PublicKeys.from_file(data) == keys
    assert len(keys.fingerprint.split()) == 8
    tampered = json.loads(data)
    tampered["casa_id"] = "CV2"
    with pytest.raises(SyncKeyError):
        PublicKeys.from_file(json.dumps(tampered).encode())
    with pytest.raises(SyncKeyError):
        PublicKeys.from_file(keys.to_file(OTHER))  # signed by a key it does not carry
    with pytest.raises(SyncKeyError):
        PublicKeys.from_file(b"\xff" * 100)

"""The sync file: a signed manifest without personal data, then an encrypted payload.

Layout (all of it is checked before anything is decrypted)::

    MAGIC (8 bytes "OMA-SYNC") | format version (1 byte) | manifest length (4 bytes, big end)
    | manifest (UTF-8 JSON, at most 64 KiB) | Ed25519 signature (64 bytes) | payload

The signature covers magic, version, length and manifest; the manifest names the payload's
SHA-256 and size, so every byte of the file is covered. The manifest says who sent the
file, what it holds (kind, casa, installation, range of operations, counts, schema
version), the key ids and the hash of the sender's previous file — never a name or a
document. The payload is gzip-compressed JSON Lines, encrypted to the receiver's age
recipient(s): ``age --decrypt -i KEY`` then ``gunzip`` reads it with independent tools.

Reading refuses, with a Spanish reason and before any decryption: a wrong magic or a newer
format, a truncated file or trailing bytes, a manifest that is not a small JSON object, an
unknown or revoked signer, a bad signature, a payload whose size or hash differ. After
decryption: more than ``max_uncompressed`` bytes (a decompression bomb), text that is not
UTF-8, lines that are not flat JSON objects.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.sync.keys import SecretKeys, verify_signature

MAGIC = b"OMA-SYNC"
FORMAT_VERSION = 1
_HEAD = struct.Struct(">8sBI")
SIGNATURE_BYTES = 64
MAX_MANIFEST_BYTES = 64 * 1024
MAX_FILE_BYTES = 1024 * 1024 * 1024  # 1 GiB: years of a casa's work fit many times over
MAX_UNCOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 4


class SyncFileError(OmaError):
    """A sync or reference file that was refused (nothing was changed)."""


@dataclass(frozen=True)
class Container:
    manifest: dict[str, Any]
    payload: bytes  # still encrypted
    sha256: str  # of the whole file


def _canonical(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def seal_payload(lines: Iterable[bytes], recipients: Iterable[str]) -> tuple[bytes, int]:
    """gzip the JSON Lines and encrypt them to the age ``recipients``; returns the payload
    and the uncompressed size."""
    from pyrage import encrypt, x25519

    raw = b"".join(lines)
    compressed = gzip.compress(raw, compresslevel=6, mtime=0)
    keys = [x25519.Recipient.from_str(r) for r in recipients]
    return encrypt(compressed, keys), len(raw)


def write_container(manifest: dict[str, Any], payload: bytes, secret: SecretKeys) -> bytes:
    """The file's bytes: ``manifest`` (completed with the payload's hash and size) signed
    with ``secret``, then the payload."""
    manifest = {**manifest, "payload_sha256": hashlib.sha256(payload).hexdigest(),
                "payload_size": len(payload), "format_version": FORMAT_VERSION}
    body = _canonical(manifest)
    if len(body) > MAX_MANIFEST_BYTES:
        raise ValueError("manifest too large")
    head = _HEAD.pack(MAGIC, FORMAT_VERSION, len(body)) + body
    return head + secret.sign(head) + payload


def refuse(reason: str) -> SyncFileError:
    return SyncFileError(_("The file was refused and nothing was changed: {reason}").format(
        reason=reason))


def _depth(value: Any, level: int = 1) -> int:
    if isinstance(value, dict):
        return max([level, *(_depth(v, level + 1) for v in value.values())])
    if isinstance(value, list):
        return max([level, *(_depth(v, level + 1) for v in value)])
    return level


def read_container(
    data: bytes, signer_key: Callable[[dict[str, Any]], bytes]
) -> Container:
    """Check ``data`` and return its manifest and (still encrypted) payload.

    ``signer_key(manifest)`` returns the public signing key registered for the manifest's
    sender, or raises :class:`SyncFileError` (unknown or revoked sender)."""
    if len(data) > MAX_FILE_BYTES:
        raise refuse(_("it is larger than any sync file can be."))
    if len(data) < _HEAD.size or data[:len(MAGIC)] != MAGIC:
        raise refuse(_("it is not an OMA Desktop sync file (or its beginning is damaged)."))
    _magic, version, length = _HEAD.unpack_from(data)
    if version > FORMAT_VERSION:
        raise refuse(_("it was written by a newer version of OMA Desktop; install it here."))
    if version != FORMAT_VERSION or length > MAX_MANIFEST_BYTES:
        raise refuse(_("its header is damaged."))
    start = _HEAD.size + length
    if len(data) < start + SIGNATURE_BYTES:
        raise refuse(_("it is incomplete (it may have been copied only in part)."))
    head, signature = data[:start], data[start:start + SIGNATURE_BYTES]
    try:
        manifest = json.loads(data[_HEAD.size:start].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise refuse(_("its description is damaged.")) from None
    if not isinstance(manifest, dict) or _depth(manifest) > MAX_JSON_DEPTH:
        raise refuse(_("its description is damaged."))
    key = signer_key(manifest)
    if not verify_signature(key, signature, head):
        raise refuse(_(
            "its signature does not match the sender's registered key (the file was altered,"
            " or it was signed by another installation)."))
    payload = data[start + SIGNATURE_BYTES:]
    size = manifest.get("payload_size")
    if not isinstance(size, int) or size != len(payload):
        raise refuse(_(
            "its length is not the one it was written with (the copy is incomplete or has"
            " extra bytes). Export the file again."))
    if hashlib.sha256(payload).hexdigest() != manifest.get("payload_sha256"):
        raise refuse(_("its content was altered after it was signed."))
    return Container(manifest, payload, hashlib.sha256(data).hexdigest())


def open_payload(
    payload: bytes, identity: str, max_uncompressed: int = MAX_UNCOMPRESSED_BYTES
) -> Iterator[dict[str, Any]]:
    """Decrypt with the age ``identity``, decompress (at most ``max_uncompressed`` bytes)
    and yield each JSON Lines record (a flat JSON object)."""
    from pyrage import DecryptError, decrypt, x25519

    try:
        compressed = decrypt(payload, [x25519.Identity.from_str(identity)])
    except (DecryptError, ValueError):
        raise refuse(_(
            "it cannot be decrypted with this installation's key (it was encrypted for"
            " another installation, or it is damaged).")) from None
    inflater = zlib.decompressobj(wbits=31)
    chunks: list[bytes] = []
    total = 0
    try:
        pending = compressed
        while pending:
            chunk = inflater.decompress(pending, 1024 * 1024)
            total += len(chunk)
            if total > max_uncompressed:
                raise refuse(_("its content is far larger than it says (refused for safety)."))
            chunks.append(chunk)
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        if not inflater.eof or inflater.unused_data:
            raise refuse(_("its content is damaged."))
    except zlib.error:
        raise refuse(_("its content is damaged.")) from None
    raw = b"".join(chunks)
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line:
            continue
        if len(line) > MAX_LINE_BYTES:
            raise refuse(_("line {n} of its content is too long.").format(n=number))
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise refuse(_("line {n} of its content is not valid.").format(n=number)) from None
        if not isinstance(record, dict) or any(
                isinstance(v, dict | list) for v in record.values()):
            raise refuse(_("line {n} of its content is not valid.").format(n=number))
        yield record

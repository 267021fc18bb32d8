"""Installation keys for the USB sync: who signed a file, and to whom it is encrypted.

Every installation (each casa's PC, and headquarters) has two key pairs, made once:

- an **Ed25519** signing key (``cryptography``): every file it writes carries a signature
  over its manifest, which the receiver checks against the public key it registered;
- an **age X25519** identity (``pyrage``): files sent *to* it are encrypted to its
  recipient, in the age format that the independent ``age`` tool can open.

The secret halves live in the installation's own database (the ``meta`` table, which is
never synchronised and is encrypted at rest with the rest of the file). The public halves
travel in a small signed *key file* (``.omakey``), handed over on a USB stick during
enrolment; both sides compare its **fingerprint** by phone or on paper before trusting it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _

KEY_FILE_FORMAT = "oma-key"
KEY_FILE_VERSION = 1
MAX_KEY_FILE_BYTES = 16 * 1024
ROLES = ("hq", "casa")


class SyncKeyError(OmaError):
    """A key file that cannot be trusted or read."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(sign_public: bytes, age_recipient: str) -> str:
    """Both public keys, hashed and grouped to be read aloud: ``3F2A 9C01 … (8 groups)``."""
    digest = hashlib.sha256(b"oma-key\0" + sign_public + b"\0" + age_recipient.encode()).hexdigest()
    return " ".join(digest[i:i + 4].upper() for i in range(0, 32, 4))


@dataclass(frozen=True)
class SecretKeys:
    """An installation's two secret keys (kept in its own encrypted database)."""

    sign_seed: bytes  # the Ed25519 private key's 32 raw bytes
    age_identity: str  # AGE-SECRET-KEY-1…

    @classmethod
    def generate(cls) -> SecretKeys:
        from cryptography.hazmat.primitives.serialization import (
            NoEncryption,
            PrivateFormat,
        )
        from pyrage import x25519

        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(seed, str(x25519.Identity.generate()))

    def sign(self, data: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.sign_seed).sign(data)

    @property
    def sign_public(self) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.sign_seed).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)

    @property
    def age_recipient(self) -> str:
        from pyrage import x25519

        return str(x25519.Identity.from_str(self.age_identity).to_public())

    def to_meta(self) -> str:
        return json.dumps({"sign_seed": _b64(self.sign_seed), "age_identity": self.age_identity})

    @classmethod
    def from_meta(cls, text: str) -> SecretKeys:
        data = json.loads(text)
        return cls(_unb64(data["sign_seed"]), str(data["age_identity"]))


def verify_signature(sign_public: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(sign_public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class PublicKeys:
    """An installation's public identity, as carried by its key file."""

    role: str  # hq | casa
    installation_id: str
    casa_id: str  # "HQ" for headquarters
    station: str
    sign_public: bytes
    age_recipient: str
    created_at: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_public, self.age_recipient)

    def _body(self) -> dict[str, Any]:
        return {
            "format": KEY_FILE_FORMAT, "version": KEY_FILE_VERSION, "role": self.role,
            "installation_id": self.installation_id, "casa_id": self.casa_id,
            "station": self.station, "sign_public": _b64(self.sign_public),
            "age_recipient": self.age_recipient, "created_at": self.created_at,
        }

    @staticmethod
    def _signed_bytes(body: dict[str, Any]) -> bytes:
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_file(self, secret: SecretKeys) -> bytes:
        """The key file's bytes, self-signed (so a copy altered on the stick is refused)."""
        body = self._body()
        signature = secret.sign(self._signed_bytes(body))
        return (json.dumps({**body, "signature": _b64(signature)}, indent=1, sort_keys=True)
                + "\n").encode()

    @classmethod
    def from_file(cls, data: bytes) -> PublicKeys:
        """Read and check a key file; :class:`SyncKeyError` in Spanish when it cannot be used."""
        bad = SyncKeyError(_(
            "The file is not an OMA Desktop key file, or it was altered after it was written."
            " Ask for the key file again (copied straight from the program that made it)."))
        if len(data) > MAX_KEY_FILE_BYTES:
            raise bad
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != KEY_FILE_FORMAT:
                raise bad
            if int(raw.get("version", 0)) > KEY_FILE_VERSION:
                raise SyncKeyError(_(
                    "The key file was written by a newer version of OMA Desktop. Install the"
                    " newer version."))
            signature = _unb64(raw.pop("signature"))
            keys = cls(
                role=str(raw["role"]), installation_id=str(raw["installation_id"]),
                casa_id=str(raw["casa_id"]), station=str(raw.get("station") or ""),
                sign_public=_unb64(raw["sign_public"]), age_recipient=str(raw["age_recipient"]),
                created_at=str(raw["created_at"]),
            )
        except SyncKeyError:
            raise
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
            raise bad from exc
        if keys.role not in ROLES or len(keys.sign_public) != 32:
            raise bad
        if not verify_signature(keys.sign_public, signature, cls._signed_bytes(keys._body())):
            raise bad
        try:
            from pyrage import x25519

            x25519.Recipient.from_str(keys.age_recipient)
        except ValueError as exc:
            raise bad from exc
        return keys


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

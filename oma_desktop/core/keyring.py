"""The key file: the database key, wrapped once per account, beside the encrypted database.

The database is encrypted with a random 32-byte key (``core/driver.py``). Nobody types
that key: each account's password derives a key-encryption key with Argon2id (RFC 9106's
second recommended setting: 3 passes over 64 MiB, 4 lanes), which unwraps its own copy of
the database key (AES-256-GCM, the account's name and id bound as associated data). So

- logging in *is* unwrapping: a wrong password fails the authentication tag, and no
  password hash that could be attacked faster than the wrap itself is stored;
- changing or resetting a password re-wraps one copy, never re-encrypts the database;
- a recovery copy is sealed to headquarters' age public key (X25519, the format an
  independent tool, ``age``, can open), so a casa whose accounts are all lost can be
  recovered by headquarters and by no one else.

Failed attempts are counted per account and make the account wait before the next try
(``BACKOFF``); the file is rewritten atomically (temporary file, fsync, rename) on every
change. The file holds no personal data: account names, wrapped keys, salts, counters.

Qt-free and free of the store: it runs before the database can be opened.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _, ngettext

FORMAT = "oma-keyring"
VERSION = 1
KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
MIN_PASSWORD_LENGTH = 10
# consecutive failures allowed before waiting; then 30 s, doubling, at most 15 minutes
FREE_ATTEMPTS = 5
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 15 * 60


class KeyringError(OmaError):
    """The key file is missing, damaged or does not allow the request."""


class LoginError(KeyringError):
    """Wrong user name or password (the same message for both)."""


class LoginLockedError(LoginError):
    """Too many failed attempts: wait ``wait_s`` seconds."""

    def __init__(self, message: str, wait_s: int) -> None:
        super().__init__(message)
        self.wait_s = wait_s


class PasswordRuleError(KeyringError):
    """The new password does not follow the rules."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored with each wrapped key so they can be raised later."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def as_dict(self) -> dict[str, int]:
        return {"time_cost": self.time_cost, "memory_kib": self.memory_kib,
                "parallelism": self.parallelism}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KdfParams:
        return cls(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]))


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class Unlocked:
    """What a successful login yields."""

    username: str
    user_id: str
    key: bytes
    must_change_password: bool
    # failed attempts since the last successful login (the audit log records them)
    failed_attempts: int
    last_failure_at: str | None


def new_database_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_password_rules(password: str, username: str = "") -> None:
    """Raise :class:`PasswordRuleError` in Spanish when ``password`` is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRuleError(_(
            "The password must have at least {n} characters. A short sentence that is easy"
            " to remember works well.").format(n=MIN_PASSWORD_LENGTH))
    if username and normalize_username(username) in password.lower():
        raise PasswordRuleError(_("The password must not contain the user name."))
    if len(set(password)) < 4:
        raise PasswordRuleError(_("The password repeats too few characters; choose another."))


def _derive(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"), salt, time_cost=kdf.time_cost, memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism, hash_len=KEY_BYTES, type=Type.ID)


def _aad(username: str, user_id: str) -> bytes:
    return f"{FORMAT}:{VERSION}:{username}:{user_id}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _wait_after(failures: int) -> int:
    """Seconds to wait after ``failures`` consecutive failed attempts."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (failures - FREE_ATTEMPTS)))


class Keyring:
    """The key file of one data folder (``keys.json``)."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data

    # --- files --------------------------------------------------------------------------

    @classmethod
    def exists(cls, path: Path) -> bool:
        return path.exists()

    @classmethod
    def load(cls, path: Path) -> Keyring:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeyringError(_(
                "The key file {path} is missing, so the encrypted database cannot be opened."
                " Restore it from the latest backup of the data folder, or ask headquarters"
                " for the recovery of this casa's key.").format(path=path)) from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise KeyringError(_(
                "The key file {path} is damaged. Restore it from the latest backup of the"
                " data folder, or ask headquarters for the recovery of this casa's key."
            ).format(path=path)) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyringError(_("The file {path} is not an OMA Desktop key file.").format(
                path=path))
        if int(data.get("version", 0)) > VERSION:
            raise KeyringError(_(
                "The key file {path} was written by a newer version of OMA Desktop. Install"
                " the newer version.").format(path=path))
        data.setdefault("accounts", {})
        data.setdefault("recovery", [])
        return cls(path, data)

    @classmethod
    def create(cls, path: Path, key: bytes, username: str, user_id: str, password: str,
               kdf: KdfParams = DEFAULT_KDF) -> Keyring:
        """A new key file holding ``key`` for its first account (refused if one exists)."""
        if path.exists():
            raise KeyringError(_("The key file {path} already exists.").format(path=path))
        ring = cls(path, {"format": FORMAT, "version": VERSION, "accounts": {},
                          "recovery": []})
        ring._put(key, username, user_id, password, kdf, must_change=False)
        ring.save()
        return ring

    def save(self) -> None:
        """Write the file atomically: a crash leaves the old file or the new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self._data, ensure_ascii=False, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".keys-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if os.name == "posix":
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    # --- accounts -----------------------------------------------------------------------

    def usernames(self) -> list[str]:
        return sorted(self._data["accounts"])

    def has_account(self, username: str) -> bool:
        return normalize_username(username) in self._data["accounts"]

    def user_id(self, username: str) -> str | None:
        entry = self._data["accounts"].get(normalize_username(username))
        return str(entry["user_id"]) if entry else None

    def must_change_password(self, username: str) -> bool:
        entry = self._data["accounts"].get(normalize_username(username))
        return bool(entry and entry.get("must_change"))

    def _put(self, key: bytes, username: str, user_id: str, password: str, kdf: KdfParams,
             must_change: bool) -> None:
        name = normalize_username(username)
        if not name:
            raise PasswordRuleError(_("Write a user name."))
        check_password_rules(password, name)
        salt = secrets.token_bytes(SALT_BYTES)
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = AESGCM(_derive(password, salt, kdf)).encrypt(nonce, key, _aad(name, user_id))
        self._data["accounts"][name] = {
            "user_id": user_id, "kdf": kdf.as_dict(), "salt": _b64(salt),
            "wrapped_key": _b64(nonce + wrapped), "must_change": must_change,
            "failures": 0, "last_failure_at": None, "locked_until": None,
            "changed_at": _now().isoformat(),
        }

    def add_account(self, key: bytes, username: str, user_id: str, password: str,
                    *, must_change: bool = True, kdf: KdfParams = DEFAULT_KDF) -> None:
        """Give ``username`` its copy of the database key (``key``: the unlocked one)."""
        if self.has_account(username):
            raise KeyringError(_("The user name {name} is already taken.").format(
                name=normalize_username(username)))
        self._put(key, username, user_id, password, kdf, must_change)
        self.save()

    def set_password(self, key: bytes, username: str, password: str, *,
                     must_change: bool, kdf: KdfParams | None = None) -> None:
        """Re-wrap ``username``'s copy of the key under ``password`` (a reset by an
        administrator sets ``must_change``; a change by the user clears it)."""
        name = normalize_username(username)
        entry = self._data["accounts"].get(name)
        if entry is None:
            raise KeyringError(_("The account {name} does not exist.").format(name=name))
        params = kdf or KdfParams.from_dict(entry["kdf"])
        self._put(key, name, str(entry["user_id"]), password, params, must_change)
        self.save()

    def remove_account(self, username: str) -> None:
        self._data["accounts"].pop(normalize_username(username), None)
        self.save()

    def unlock(self, username: str, password: str, now: dt.datetime | None = None) -> Unlocked:
        """The database key for ``username`` and ``password``; counts failures and makes
        the account wait after too many (:class:`LoginLockedError`)."""
        now = now or _now()
        name = normalize_username(username)
        entry = self._data["accounts"].get(name)
        wrong = LoginError(_(
            "The user name or the password is not correct. Check that Caps Lock is off and"
            " try again; if you forgot your password, ask the casa's administrator to reset"
            " it."))
        if entry is None:
            # the same work as a real attempt, so the time taken does not tell names apart
            _derive(password, b"\0" * SALT_BYTES, DEFAULT_KDF)
            raise wrong
        locked_until = entry.get("locked_until")
        if locked_until and now < dt.datetime.fromisoformat(locked_until):
            raise self._locked(math.ceil((dt.datetime.fromisoformat(locked_until) - now)
                                         .total_seconds()))
        raw = _unb64(entry["wrapped_key"])
        try:
            kek = _derive(password, _unb64(entry["salt"]), KdfParams.from_dict(entry["kdf"]))
            key = AESGCM(kek).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                      _aad(name, str(entry["user_id"])))
        except InvalidTag:
            entry["failures"] = int(entry.get("failures", 0)) + 1
            entry["last_failure_at"] = now.isoformat()
            wait = _wait_after(entry["failures"])
            entry["locked_until"] = (now + dt.timedelta(seconds=wait)).isoformat() if wait else None
            self.save()
            if wait:
                raise self._locked(wait) from None
            raise wrong from None
        result = Unlocked(name, str(entry["user_id"]), key, bool(entry.get("must_change")),
                          int(entry.get("failures", 0)), entry.get("last_failure_at"))
        if entry.get("failures") or entry.get("locked_until"):
            entry["failures"], entry["locked_until"] = 0, None
            self.save()
        return result

    @staticmethod
    def _locked(wait_s: int) -> LoginLockedError:
        minutes = (wait_s + 59) // 60
        if wait_s < 60:
            text = ngettext("{n} second", "{n} seconds", wait_s).format(n=wait_s)
        else:
            text = ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
        return LoginLockedError(_(
            "Too many failed attempts for this account. Wait {time} and try again, or ask"
            " the casa's administrator to reset the password.").format(time=text), wait_s)

    # --- recovery -----------------------------------------------------------------------

    def seal_recovery(self, key: bytes, recipients: Iterable[str], label: str) -> None:
        """Seal a copy of ``key`` to the age public keys ``recipients`` (headquarters')."""
        from pyrage import encrypt, x25519

        keys = [x25519.Recipient.from_str(r) for r in recipients]
        if not keys:
            raise KeyringError(_("No public key to seal the recovery copy to."))
        sealed = encrypt(key, keys)
        self._data["recovery"] = [r for r in self._data["recovery"] if r.get("label") != label]
        self._data["recovery"].append({"label": label, "recipients": sorted(recipients),
                                       "sealed": _b64(sealed), "at": _now().isoformat()})
        self.save()

    def recovery_labels(self) -> list[str]:
        return [str(r["label"]) for r in self._data["recovery"]]

    def recover(self, identity: str) -> bytes:
        """The database key, from a recovery copy sealed to the age secret key
        ``identity`` (``AGE-SECRET-KEY-1…``)."""
        from pyrage import DecryptError, decrypt, x25519

        try:
            secret = x25519.Identity.from_str(identity.strip())
        except ValueError as exc:
            raise KeyringError(_("That is not an age secret key.")) from exc
        for entry in self._data["recovery"]:
            try:
                key = bytes(decrypt(_unb64(entry["sealed"]), [secret]))
            except DecryptError:
                continue
            if len(key) == KEY_BYTES:
                return key
        raise KeyringError(_(
            "No recovery copy in this key file can be opened with that key: it was sealed"
            " for another headquarters key."))

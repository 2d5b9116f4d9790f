"""Encryption at rest for personal data, and keyed hashes for API keys and the NHS number index.

Personal data (names, NHS numbers, contact details) is special-category health data: a stolen
database dump or backup must not reveal it. Columns typed `EncryptedString` / `EncryptedDate`
hold tokens of authenticated encryption and are decrypted only when read. A token is
``v2:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``: AES-256-GCM (the `cryptography` library's
one-shot AEAD) with a random 96-bit nonce, the ``v2:<key id>`` prefix bound to it as associated
data, so a token cannot be moved to another key id or version unnoticed. Tokens written before
(Fernet: AES-128-CBC with an HMAC-SHA256 tag, ``gAAAAA…``) still decrypt; `imm-graph keys
reencrypt` rewrites them. AES-GCM replaced Fernet because an intake burst encrypts a dozen
fields per referral: one C call (~2 µs) instead of Fernet's Python-level CBC, padding and HMAC
objects (~11 µs), with a tag as strong and the key twice as long.

Keys come from settings:

- ``IMM_ENCRYPTION_KEYS``: keys as `imm-graph keys new-encryption-key` prints them (32 random
  bytes, url-safe base64: the Fernet key format, so settings written before v2 keep working),
  comma-separated. Each key's AES-256 key is derived from it with HKDF; its id is a keyed hash
  of it (4 bytes, hex), which names the key a token needs without revealing anything about it.
  The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and
  keeping the old ones until `imm-graph keys reencrypt` has re-encrypted the stored data under
  the new one.
- ``IMM_SECRET_KEY``: one server secret from which per-purpose HMAC keys are derived (HKDF):
  the pepper of API key hashes and the key of the NHS number blind index. Unlike the encryption
  keys it cannot rotate without re-issuing API keys and rebuilding the index.

Production refuses to start without both. Development and tests, where no key is set, derive
fixed keys from a public label and say so loudly in the log: data written with them is only
obfuscated, never protected.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from imm_graph.config import Settings, get_settings
from imm_graph.logging import get_logger

_DEV_LABEL = b"imm_graph development key - public, insecure, never for production"


class ConfigurationError(RuntimeError):
    """A missing or malformed key setting. Messages name the setting, never the value."""


class DecryptionError(RuntimeError):
    """A stored token no configured key can open (a key was dropped from IMM_ENCRYPTION_KEYS)."""


VERSION = "v2"
_NONCE_BYTES = 12


def _derive(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"imm_graph:" + purpose.encode()).derive(key)


class Keyring:
    """The keys of one process: encryption keys for personal data and the server secret."""

    def __init__(self, fernet_keys: list[bytes], secret: bytes, *, development: bool = False):
        if not fernet_keys:
            raise ConfigurationError("IMM_ENCRYPTION_KEYS holds no key")
        try:
            # Fernet reads tokens written before v2; it also validates the keys' format.
            self._fernet = MultiFernet([Fernet(key) for key in fernet_keys])
            raw = [base64.urlsafe_b64decode(key) for key in fernet_keys]
        except (ValueError, TypeError):
            raise ConfigurationError(
                "IMM_ENCRYPTION_KEYS: every key must be 32 url-safe base64-encoded bytes (make "
                "one with `imm-graph keys new-encryption-key`)"
            ) from None
        self._aead: dict[str, AESGCM] = {}
        for key in raw:
            key_id = hmac.new(key, b"imm_graph:key-id", hashlib.sha256).hexdigest()[:8]
            self._aead.setdefault(key_id, AESGCM(_derive(key, "personal-data:aes-256-gcm")))
        self._current_id = next(iter(self._aead))
        self._current = self._aead[self._current_id]
        self._prefix = f"{VERSION}:{self._current_id}:"
        self._associated = self._prefix.encode("ascii")
        self._secret = secret
        self._subkeys: dict[str, bytes] = {}
        self.development = development

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        missing = settings.missing_production_secrets()
        if missing:
            raise ConfigurationError(
                f"production needs {' and '.join(missing)}: refusing to start without them"
            )
        development = settings.encryption_keys is None or settings.secret_key is None
        if settings.encryption_keys is not None:
            raw = settings.encryption_keys.get_secret_value()
            keys = [part.strip().encode() for part in raw.split(",") if part.strip()]
        else:
            keys = [development_fernet_key()]
        if settings.secret_key is not None:
            secret = settings.secret_key.get_secret_value().encode()
        else:
            secret = hashlib.sha256(_DEV_LABEL + b":secret").digest()
        if development:
            _warn_development_keys()
        return cls(keys, secret, development=development)

    def encrypt(self, text: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.encrypt(nonce, text.encode(), self._associated)
        return self._prefix + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            if token.startswith(VERSION + ":"):
                return self._open(token)
            return self._fernet.decrypt(token.encode("ascii")).decode()  # written before v2
        except (InvalidToken, InvalidTag, ValueError, KeyError):
            raise DecryptionError(
                "stored personal data could not be decrypted: is the key that wrote it still "
                "listed in IMM_ENCRYPTION_KEYS?"
            ) from None

    def _open(self, token: str) -> str:
        version, key_id, body = token.split(":", 2)
        sealed = base64.urlsafe_b64decode(body)
        return self._aead[key_id].decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], f"{version}:{key_id}:".encode("ascii")
        ).decode()

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is already v2 under the current key (re-encryption skips it)."""
        return token.startswith(self._prefix)

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current (first) key, for re-keying stored data."""
        try:
            return self.encrypt(self.decrypt(token))
        except DecryptionError:
            raise DecryptionError("a stored token could not be decrypted for rotation") from None

    def mac(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` under a key derived for ``purpose`` alone (hex)."""
        key = self._subkeys.get(purpose)
        if key is None:
            key = self._subkeys[purpose] = _derive(self._secret, purpose)
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def development_fernet_key() -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(_DEV_LABEL).digest())


def new_fernet_key() -> str:
    """A fresh key for IMM_ENCRYPTION_KEYS (32 random bytes in the Fernet key format)."""
    return Fernet.generate_key().decode("ascii")


# Set once the warning is logged: processes started from this one (uvicorn's workers and
# reloader children) inherit it and stay quiet, so one `imm-graph serve` warns once.
WARNED_ENV = "IMM_DEVELOPMENT_KEYS_WARNED"


def _warn_development_keys() -> None:
    """Log the development-keys warning once per process tree, through the configured logger."""
    if os.environ.get(WARNED_ENV) == "1":
        return
    os.environ[WARNED_ENV] = "1"
    get_logger(__name__).warning(
        "insecure_development_keys",
        detail="IMM_ENCRYPTION_KEYS or IMM_SECRET_KEY is not set: using fixed development keys; "
        "personal data and API keys are NOT protected. Never run production like this.",
    )


# One keyring per process: column types have no other way to reach it. The app sets it at
# start-up (`configure`); commands and scripts get it lazily from the environment.
_keyring: Keyring | None = None


def configure(settings: Settings) -> Keyring:
    global _keyring
    _keyring = Keyring.from_settings(settings)
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        return configure(get_settings())
    return _keyring


@contextmanager
def using(ring: Keyring) -> Iterator[Keyring]:
    """Use ``ring`` for the duration of a block (tests of rotation)."""
    global _keyring
    previous, _keyring = _keyring, ring
    try:
        yield ring
    finally:
        _keyring = previous


def blind_index(nhs_number: str) -> str:
    """A keyed hash of a normalised NHS number: equality lookups without decrypting any row.

    Keyed, because an unkeyed hash of a 10-digit number falls to a dictionary attack in seconds.
    """
    return keyring().mac("nhs-number-index", nhs_number)


class EncryptedString(sa.TypeDecorator[str]):
    """Text stored as an encrypted token; plaintext exists only in the Python process."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(self.to_text(value))

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return self.from_text(keyring().decrypt(value))

    def to_text(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{type(self).__name__} stores str, not {type(value).__name__}")
        return value

    def from_text(self, text: str) -> Any:
        return text

    @property
    def python_type(self) -> type[Any]:
        return str

    def compare_values(self, x: Any, y: Any) -> bool:
        return bool(x == y)


class EncryptedDate(EncryptedString):
    """A date (of birth) stored encrypted as its ISO text."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        if not isinstance(value, dt.date):
            raise TypeError(f"EncryptedDate stores dates, not {type(value).__name__}")
        return value.isoformat()

    def from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    @property
    def python_type(self) -> type[Any]:
        return dt.date

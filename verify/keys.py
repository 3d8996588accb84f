"""Signing keys: kid derivation, verifier key sets (JWKS), key stores."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import NoActiveKeyError

try:  # POSIX advisory locks keep concurrent workers from rotating twice.
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX platforms
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "KID_LENGTH",
    "Ed25519Signer",
    "FileKeyStore",
    "KeyInfo",
    "KeySet",
    "KeyStatus",
    "KeyStore",
    "Signer",
    "b64url_decode",
    "b64url_encode",
    "derive_kid",
]

KID_LENGTH = 8
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 appendix C)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64url: {exc}") from exc
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def derive_kid(public_key: bytes | Ed25519PublicKey) -> bytes:
    """Key id = first 8 bytes of SHA-256 over the raw 32-byte Ed25519 public key."""
    if isinstance(public_key, Ed25519PublicKey):
        public_key = public_key.public_bytes(*_RAW)
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return hashlib.sha256(public_key).digest()[:KID_LENGTH]


class KeyStatus(StrEnum):
    ACTIVE = "active"  # the one key that signs new tokens
    RETIRED = "retired"  # no longer signs; its tokens still verify
    COMPROMISED = "compromised"  # its tokens fail with verdict compromised_key


@dataclass(frozen=True)
class KeyInfo:
    """Public half of a key and its status."""

    kid: bytes
    public_key: bytes  # raw 32 bytes; may be empty for a compromised-key notice
    status: KeyStatus
    created: int | None = None

    def to_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": b64url_encode(self.kid),
            "x": b64url_encode(self.public_key),
            "alg": "EdDSA",
            "use": "sig",
            "status": str(self.status),
        }
        if not self.public_key:
            del jwk["x"]  # a compromise notice whose key material is gone
        if self.created is not None:
            jwk["created"] = self.created
        return jwk


class Signer(Protocol):
    """Anything that signs with Ed25519 and knows its kid (a KMS/HSM adapter too)."""

    @property
    def kid(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """In-process Ed25519 signer."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key: bytes = private_key.public_key().public_bytes(*_RAW)
        self._kid = derive_kid(self.public_key)

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Signer:
        """Deterministic key from a 32-byte seed (tests and vectors only)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    @property
    def kid(self) -> bytes:
        return self._kid

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def key_info(self, status: KeyStatus = KeyStatus.ACTIVE) -> KeyInfo:
        return KeyInfo(self._kid, self.public_key, status)


class KeySet:
    """Public keys a verifier trusts, by kid, with their status."""

    def __init__(self, keys: Iterable[KeyInfo] = ()) -> None:
        self._keys: dict[bytes, KeyInfo] = {}
        self._public: dict[bytes, Ed25519PublicKey] = {}
        for info in keys:
            self.add(info)

    def add(self, info: KeyInfo) -> None:
        status = KeyStatus(info.status)
        if info.public_key or status is not KeyStatus.COMPROMISED:
            if derive_kid(info.public_key) != info.kid:
                raise ValueError(f"kid {info.kid.hex()} does not match its public key")
            self._public[info.kid] = Ed25519PublicKey.from_public_bytes(info.public_key)
        old = self._keys.get(info.kid)
        if old is not None and old.status is KeyStatus.COMPROMISED:
            return  # a compromise notice always wins
        self._keys[info.kid] = KeyInfo(info.kid, info.public_key, status, info.created)

    def get(self, kid: bytes) -> KeyInfo | None:
        return self._keys.get(kid)

    def public_key(self, kid: bytes) -> Ed25519PublicKey | None:
        return self._public.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[KeyInfo]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def to_jwks(self) -> dict[str, Any]:
        """JWK Set. Compromised keys go to ``compromised_keys``, not ``keys``.

        A generic JOSE library reads only ``keys`` and therefore never trusts a
        compromised key (its tokens fail as unknown); verifiers of this format also
        read ``compromised_keys`` and answer ``compromised_key``.
        """
        order = {KeyStatus.ACTIVE: 0, KeyStatus.RETIRED: 1, KeyStatus.COMPROMISED: 2}
        infos = sorted(self, key=lambda i: (order[i.status], -(i.created or 0), i.kid))
        return {
            "keys": [i.to_jwk() for i in infos if i.status is not KeyStatus.COMPROMISED],
            "compromised_keys": [i.to_jwk() for i in infos if i.status is KeyStatus.COMPROMISED],
        }

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeySet:
        """Build a key set from :meth:`to_jwks` output (or a plain JWK Set).

        Entries for other key types or algorithms are skipped. An Ed25519 entry
        whose ``kid`` does not match its ``x`` raises ``ValueError``. A key listed
        in ``compromised_keys`` (only ``kid`` is required there) or carrying
        ``"status": "compromised"`` is treated as compromised. A missing status
        in ``keys`` means active.
        """
        if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
            raise ValueError("a JWK Set is an object with a 'keys' array")
        compromised = jwks.get("compromised_keys", [])
        if not isinstance(compromised, list):
            raise ValueError("'compromised_keys' must be an array")
        keyset = cls()
        for jwk in jwks["keys"]:
            info = _parse_jwk(jwk, compromised=False)
            if info is not None:
                keyset.add(info)
        for jwk in compromised:
            info = _parse_jwk(jwk, compromised=True)
            if info is not None:
                keyset.add(info)
        return keyset


def _parse_jwk(jwk: Any, *, compromised: bool) -> KeyInfo | None:
    if not isinstance(jwk, Mapping):
        raise ValueError("a JWK must be an object")
    # In compromised_keys only "kid" is required; "kty"/"crv" default to ours there.
    kty = jwk.get("kty", "OKP" if compromised else None)
    crv = jwk.get("crv", "Ed25519" if compromised else None)
    if kty != "OKP" or crv != "Ed25519":
        return None
    if jwk.get("alg", "EdDSA") != "EdDSA" or jwk.get("use", "sig") != "sig":
        return None
    ops = jwk.get("key_ops")
    if ops is not None and not isinstance(ops, list):
        raise ValueError("'key_ops' must be an array")
    if ops is not None and "verify" not in ops and not compromised:
        return None
    kid = b64url_decode(jwk.get("kid", ""))
    if len(kid) != KID_LENGTH:
        raise ValueError(f"kid must be {KID_LENGTH} bytes")
    status = KeyStatus(jwk.get("status", "active"))
    if compromised:
        status = KeyStatus.COMPROMISED
    x = jwk.get("x")
    public = b64url_decode(x) if x is not None else b""
    if not public and status is not KeyStatus.COMPROMISED:
        raise ValueError("a JWK for a trusted key needs 'x'")
    created = jwk.get("created")
    return KeyInfo(kid, public, status, created if type(created) is int else None)


class KeyStore(ABC):
    """Where signing keys live. Implement this for a KMS or HSM.

    Exactly one key is ``active`` at a time; ``rotate`` makes a new active key and
    retires the previous one, whose tokens keep verifying.
    """

    @abstractmethod
    def signer(self) -> Signer:
        """The active key's signer; raises :class:`NoActiveKeyError` if there is none."""

    @abstractmethod
    def rotate(self) -> bytes:
        """Create a new active key, retire the current one; return the new kid."""

    @abstractmethod
    def mark_compromised(self, kid: bytes) -> None:
        """Mark a key compromised (terminal). If it was active, nothing signs until
        :meth:`rotate` is called."""

    @abstractmethod
    def public_keys(self) -> list[KeyInfo]:
        """Public information about every key."""

    def ensure_active(self) -> bytes:
        """Kid of the active key, creating one first if there is none."""
        try:
            return self.signer().kid
        except NoActiveKeyError:
            return self.rotate()

    def keyset(self) -> KeySet:
        return KeySet(self.public_keys())

    def jwks(self) -> dict[str, Any]:
        """The JWK Set to publish (see :meth:`KeySet.to_jwks`)."""
        return self.keyset().to_jwks()


class FileKeyStore(KeyStore):
    """Ed25519 keys as PKCS#8 PEM files (0600) in a 0700 directory.

    Layout: ``<kid hex>.pem`` per key, ``state.json`` with each key's status and
    creation time, ``.lock`` for rotation by concurrent processes.
    """

    STATE_FILE = "state.json"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._cache: dict[bytes, Ed25519Signer] = {}

    # -- state ---------------------------------------------------------------

    def _read_state(self) -> dict[str, dict[str, Any]]:
        path = self.directory / self.STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, dict):
            raise ValueError(f"{path}: unexpected content")
        return keys

    def _write_state(self, keys: dict[str, dict[str, Any]]) -> None:
        text = json.dumps({"format": 1, "keys": keys}, indent=2, sort_keys=True)
        self._write_private(self.STATE_FILE, text.encode("utf-8"), replace=True)

    def _write_private(self, name: str, data: bytes, *, replace: bool) -> None:
        target = self.directory / name
        if not replace:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            return
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- KeyStore ------------------------------------------------------------

    def _load(self, kid: bytes) -> Ed25519Signer:
        signer = self._cache.get(kid)
        if signer is None:
            pem = (self.directory / f"{kid.hex()}.pem").read_bytes()
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{kid.hex()}.pem is not an Ed25519 key")
            signer = Ed25519Signer(key)
            if signer.kid != kid:
                raise ValueError(f"{kid.hex()}.pem holds a different key")
            self._cache[kid] = signer
        return signer

    def signer(self) -> Ed25519Signer:
        active = [k for k, v in self._read_state().items() if v.get("status") == "active"]
        if len(active) != 1:
            raise NoActiveKeyError(
                "no active signing key" if not active else "several keys marked active"
            )
        return self._load(bytes.fromhex(active[0]))

    def rotate(self) -> bytes:
        with self._locked():
            return self._rotate_locked()

    def ensure_active(self) -> bytes:
        # Under the lock, so that workers starting together create only one key.
        with self._locked():
            try:
                return self.signer().kid
            except NoActiveKeyError:
                return self._rotate_locked()

    def _rotate_locked(self) -> bytes:
        state = self._read_state()
        key = Ed25519PrivateKey.generate()
        new = Ed25519Signer(key)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._write_private(f"{new.kid.hex()}.pem", pem, replace=False)
        for entry in state.values():
            if entry.get("status") == KeyStatus.ACTIVE:
                entry["status"] = str(KeyStatus.RETIRED)
        state[new.kid.hex()] = {"status": str(KeyStatus.ACTIVE), "created": int(time.time())}
        self._write_state(state)
        self._cache[new.kid] = new
        return new.kid

    def mark_compromised(self, kid: bytes) -> None:
        with self._locked():
            state = self._read_state()
            if kid.hex() not in state:
                raise KeyError(kid.hex())
            state[kid.hex()]["status"] = str(KeyStatus.COMPROMISED)
            self._write_state(state)
            self._cache.pop(kid, None)

    def public_keys(self) -> list[KeyInfo]:
        infos = []
        for kid_hex, entry in self._read_state().items():
            kid = bytes.fromhex(kid_hex)
            status = KeyStatus(entry["status"])
            created = entry.get("created")
            if status is KeyStatus.COMPROMISED:
                # Publish the public key only if the file is still readable.
                try:
                    public = self._load(kid).public_key
                except (OSError, ValueError):
                    public = b""
                self._cache.pop(kid, None)
            else:
                public = self._load(kid).public_key
            infos.append(KeyInfo(kid, public, status, created))
        return infos

"""The QR signing keys of this registry (``KEYS_DIR``) and the cached verification key set."""

from __future__ import annotations

import os
import threading
import time

from flask import current_app

import verify
from verify import FileKeyStore, KeySet

_EXT_STORE = "verify_keystore"
_EXT_KEYSET = "verify_keyset"
_keyset_lock = threading.Lock()
KEYSET_RECHECK_SECONDS = 1.0


# --- keys -----------------------------------------------------------------------------------
def keystore() -> FileKeyStore:
    """The app's signing key store in ``KEYS_DIR`` (0700 dir, 0600 files).

    A first key is created when the store has no key at all (not after a compromise: then
    ``flask keys rotate`` decides). Cached on ``app.extensions``.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(_EXT_STORE)
    if store is None:
        store = FileKeyStore(app.config["KEYS_DIR"])
        if not store.public_keys():
            store.ensure_active()  # under the store's lock: workers starting together make one
        app.extensions[_EXT_STORE] = store
    return store


def _state_stamp(store: FileKeyStore) -> tuple[int, int, int]:
    try:
        st = os.stat(store.directory / store.STATE_FILE)
    except FileNotFoundError:
        return (0, 0, 0)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def current_keyset() -> KeySet:
    """The verification key set, cached until ``state.json`` changes (rotation, compromise).

    ``state.json`` is looked at (one ``stat``) at most every ``KEYSET_RECHECK_SECONDS``, so a
    ``keys rotate``/``keys compromise`` run by another process is seen by every worker within
    a second. Anything in this process that changes the store calls :func:`forget_keyset`.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get(_EXT_KEYSET)
    now = time.monotonic()
    if cached is not None and now - cached[2] < KEYSET_RECHECK_SECONDS:
        return cached[1]
    store = keystore()
    stamp = _state_stamp(store)
    if cached is not None and cached[0] == stamp:
        app.extensions[_EXT_KEYSET] = (stamp, cached[1], now)
        return cached[1]
    with _keyset_lock:
        stamp = _state_stamp(store)
        keyset = store.keyset()
        app.extensions[_EXT_KEYSET] = (stamp, keyset, now)
        return keyset


def forget_keyset() -> None:
    """Drop the cached key set (after this process rotated or compromised a key)."""
    current_app.extensions.pop(_EXT_KEYSET, None)


class FixedSigner:
    """A key store view that always signs with one already-loaded signer (bulk issuing)."""

    def __init__(self, signer: verify.Signer) -> None:
        self._signer = signer

    def signer(self) -> verify.Signer:
        return self._signer

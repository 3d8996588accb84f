"""Verification on the phone, even offline: the service worker and the key-set version.

* ``GET /sw.js`` — the service worker (``static/js/sw.js``), served at the root so that its
  scope covers ``/app/scan.html`` and ``/v/…``. It keeps the scan page, the JavaScript verifier
  (``static/js/verify.mjs``) and the JWK Set (with the time it was fetched) for offline checks.
* ``X-Keyset-Version`` on every verification answer, page and on the JWK Set: a short hash of
  the published key set. The service worker compares it with the copy it keeps and fetches
  the key set again at once when it differs (a rotation or a compromise), otherwise at most
  once a day.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Response, send_file

from ..domain import documents
from . import bp
from .pages import pages

SW_FILE = Path(__file__).resolve().parents[2] / "static" / "js" / "sw.js"
KEYSET_VERSION_HEADER = "X-Keyset-Version"
_versions: dict[int, tuple[object, str]] = {}


def keyset_version() -> str:
    """16 hex digits of SHA-256 over the canonical JSON of the published JWK Set."""
    keyset = documents.current_keyset()
    cached = _versions.get(id(keyset))
    if cached is not None and cached[0] is keyset:
        return cached[1]
    body = json.dumps(keyset.to_jwks(), sort_keys=True, separators=(",", ":"))
    version = hashlib.sha256(body.encode()).hexdigest()[:16]
    _versions.clear()  # only the current key set is worth remembering
    _versions[id(keyset)] = (keyset, version)
    return version


def _add_version(response: Response) -> Response:
    if response.status_code < 500:
        response.headers[KEYSET_VERSION_HEADER] = keyset_version()
    return response


pages.after_request(_add_version)
bp.after_request(_add_version)


@pages.get("/sw.js")
def service_worker() -> Response:
    """The service worker script (root scope; revalidated on every registration check)."""
    response = send_file(SW_FILE, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response

"""`flask --app wsgi keys …`: the QR signing keys in KEYS_DIR.

    keys list              every key: kid, status, created
    keys rotate            new active key; the old one retires (its tokens keep verifying)
    keys compromise KID    mark a key compromised: its tokens answer "forged" at once
    issue-documents        sign a token for every certificate that has none (after imports)

Workers notice a change at their next request (the key set is cached per ``state.json``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import Flask

from verify import KeyStatus
from verify.keys import b64url_encode

from ..database import db
from ..domain import audit
from ..domain.documents import forget_keyset, keystore
from .backfill import issue_missing_certificate_documents


def _find_kid(text: str, kids: list[bytes]) -> bytes:
    text = text.strip()
    matches = [k for k in kids if text in (k.hex(), b64url_encode(k))]
    if not matches and len(text) >= 4:
        matches = [k for k in kids if k.hex().startswith(text.lower())]
    if len(matches) != 1:
        raise click.ClickException(f"no single key matches {text!r} (use `keys list`)")
    return matches[0]


def register(app: Flask) -> None:
    @app.cli.group("keys")
    def keys_group() -> None:
        """Signing keys for verification QR tokens (KEYS_DIR)."""

    @keys_group.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print the JWK Set instead.")
    def list_command(as_json: bool) -> None:
        """List keys: kid (hex and base64url), status, creation time."""
        store = keystore()
        if as_json:
            click.echo(json.dumps(store.jwks(), indent=2))
            return
        for info in sorted(store.keyset(), key=lambda i: (i.created or 0, i.kid)):
            created = (
                datetime.fromtimestamp(info.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if info.created
                else "-"
            )
            click.echo(f"{info.kid.hex()}  {b64url_encode(info.kid)}  {info.status:<11}  {created}")

    @keys_group.command("rotate")
    def rotate_command() -> None:
        """Create a new active key; the current one is retired and still verifies."""
        kid = keystore().rotate()
        forget_keyset()
        audit.record("keys.rotate", actor_kind="system", object_type="key", object_id=kid.hex())
        db.session.commit()
        click.echo(f"New active key {kid.hex()} ({b64url_encode(kid)}).")

    @keys_group.command("compromise")
    @click.argument("kid")
    @click.option("--reason", default="", help="Why (kept in the audit log).")
    @click.option(
        "--rotate/--no-rotate",
        default=True,
        show_default=True,
        help="Create a new active key if the compromised one was active.",
    )
    def compromise_command(kid: str, reason: str, rotate: bool) -> None:
        """Mark KID compromised: every token it signed answers `forged` from now on."""
        store = keystore()
        infos = list(store.keyset())
        target = _find_kid(kid, [i.kid for i in infos])
        was_active = any(i.kid == target and i.status is KeyStatus.ACTIVE for i in infos)
        store.mark_compromised(target)
        forget_keyset()
        audit.record(
            "keys.compromise",
            actor_kind="system",
            object_type="key",
            object_id=target.hex(),
            reason=reason or None,
        )
        click.echo(f"Key {target.hex()} marked compromised.")
        if was_active and rotate:
            new = store.rotate()
            forget_keyset()
            audit.record("keys.rotate", actor_kind="system", object_type="key", object_id=new.hex())
            click.echo(f"New active key {new.hex()}. Re-issue documents signed by the old key.")
        elif was_active:
            click.echo("No active key now: run `keys rotate` before issuing documents.")
        db.session.commit()

    @app.cli.command("issue-documents")
    def issue_documents_command() -> None:
        """Sign a QR token for every certificate that has none (e.g. after an import)."""
        count = issue_missing_certificate_documents()
        db.session.commit()
        click.echo(f"Issued {count} documents.")

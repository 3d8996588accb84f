"""The minimal check: the irreducible work of a verification on this stack (issue #17).

A tiny Flask app, served by gunicorn with the same settings as the real app, that for
``GET /check/{TOKEN}``:

1. decodes the base32 text of a COSE_Sign1 token (``cbor2``, C extension);
2. verifies its Ed25519 signature over the COSE ``Sig_structure`` (``cryptography``);
3. looks the document up by its id among ``rows`` rows (one indexed probe);
4. appends an audit row (autocommit);
5. answers a small JSON with a masked name.

No hooks, no headers, no logging, no ORM, no strict CBOR walk. ``build()`` makes its own
database (SQLite file or a PostgreSQL database), key and sample tokens; the app reads
``MINIMAL_DB`` (SQLite path or ``postgresql://`` URL) and ``MINIMAL_PUBLIC_KEY`` (hex).
"""

from __future__ import annotations

import base64
import json
import os
import random
import sqlite3
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, Response

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _is_pg(target: str) -> bool:
    return target.startswith("postgresql")


def _connect(target: str) -> Any:
    if _is_pg(target):
        import psycopg

        return psycopg.connect(
            target.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def build(target: str, rows: int, sample: int, seed: int = 17) -> dict[str, Any]:
    """Create the tables, ``rows`` documents and ``sample`` signed tokens; return the public
    key (hex) and the tokens."""
    rnd = random.Random(seed)
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw().hex()
    protected = cbor2.dumps({1: -8, 4: bytes.fromhex(public)[:8]})
    conn = _connect(target)
    blob = "BYTEA" if _is_pg(target) else "BLOB"
    serial = "BIGSERIAL" if _is_pg(target) else "INTEGER"
    ph = "%s" if _is_pg(target) else "?"
    conn.execute("DROP TABLE IF EXISTS mc_document")
    conn.execute("DROP TABLE IF EXISTS mc_audit")
    conn.execute(
        f"CREATE TABLE mc_document (id {serial} PRIMARY KEY, document_id {blob} NOT NULL UNIQUE,"
        " holder TEXT NOT NULL, status TEXT NOT NULL)"
    )
    conn.execute(
        f"CREATE TABLE mc_audit (id {serial} PRIMARY KEY, at TIMESTAMP NOT NULL,"
        f" document_id {blob}, result TEXT NOT NULL, detail TEXT)"
    )
    docs = [
        (rnd.randbytes(16), rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN))
        for _ in range(rows)
    ]
    sql = f"INSERT INTO mc_document (document_id, holder, status) VALUES ({ph}, {ph}, 'valid')"  # noqa: S608
    if _is_pg(target):
        with conn.cursor() as cur:
            cur.executemany(sql, docs)
    else:
        conn.execute("BEGIN")
        conn.executemany(sql, docs)
        conn.execute("COMMIT")
    conn.close()
    tokens = []
    for doc_id, _ in rnd.sample(docs, min(sample, rows)):
        payload = cbor2.dumps({1: "11330100MB0000000X", 2: 1764000000, 3: doc_id, 4: 1})
        sig = key.sign(_sig_structure(protected, payload))
        raw = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, sig]))
        tokens.append(base64.b32encode(raw).decode().rstrip("="))
    return {"public_key": public, "tokens": tokens}


def mask(name: str) -> str:
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def create_app() -> Flask:
    target = os.environ["MINIMAL_DB"]
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(os.environ["MINIMAL_PUBLIC_KEY"]))
    ph = "%s" if _is_pg(target) else "?"
    select = f"SELECT holder, status FROM mc_document WHERE document_id = {ph}"  # noqa: S608
    insert = (  # placeholders only: ph is "?" or "%s"
        "INSERT INTO mc_audit (at, document_id, result, detail) "  # noqa: S608
        f"VALUES (CURRENT_TIMESTAMP, {ph}, {ph}, {ph})"
    )
    state: dict[str, Any] = {}
    app = Flask(__name__)

    def connection() -> Any:
        conn = state.get("conn")
        if conn is None:  # one per worker, opened after the fork
            conn = state["conn"] = _connect(target)
        return conn

    @app.get("/check/<token>")
    def check(token: str) -> Response:
        try:
            raw = base64.b32decode(token + "=" * (-len(token) % 8))
            tag = cbor2.loads(raw)
            protected, _, payload, signature = tag.value
            public.verify(signature, _sig_structure(protected, payload))
            claims = cbor2.loads(payload)
        except (ValueError, TypeError, AttributeError, cbor2.CBORDecodeError):
            return Response('{"verdict":"malformed"}', 400, mimetype="application/json")
        except InvalidSignature:
            verdict, body = "forged", {"verdict": "forged"}
            claims = {}
        else:
            conn = connection()
            row = conn.execute(select, (claims[3],)).fetchone()
            if row is None:
                verdict, body = "unknown_document", {"verdict": "unknown_document"}
            else:
                verdict = "authentic" if row[1] == "valid" else row[1]
                body = {"verdict": verdict, "holder": mask(row[0]), "status": row[1]}
        connection().execute(insert, (claims.get(3), verdict, '{"channel":"api"}'))
        return Response(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            mimetype="application/json",
        )

    return app


if os.environ.get("MINIMAL_DB"):
    app = create_app()

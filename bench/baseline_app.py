"""The baseline of the verification benchmark: a bare Flask endpoint (no database, no hooks).

Served by gunicorn with exactly the same settings as the real app, so the ratio of the two
request rates says how much the verification work costs, independent of the machine.
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def hello():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")

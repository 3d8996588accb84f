"""`flask --app wsgi seed-demo` and `demo-info`: the demo registry (development, tests)."""

from __future__ import annotations

import json

import click
from flask import Flask

from ..database import db
from .features import seed_features
from .info import demo_info
from .seed import seed_demo


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--scale", default=2000, show_default=True, help="Number of certificates.")
    @click.option("--seed", default=20261126, show_default=True, help="Random seed.")
    def seed_demo_command(scale: int, seed: int) -> None:
        """Create the deterministic demo registry (a second run changes nothing)."""
        result = seed_demo(scale=scale, seed=seed)
        seed_features()  # applications, utility transfers, alerts (once)
        db.session.commit()
        if not result.get("created"):
            click.echo("Demo data already present; nothing changed.")
        else:
            click.echo(json.dumps(result, ensure_ascii=False))

    @app.cli.command("demo-info")
    def demo_info_command() -> None:
        """Print JSON describing the demo citizens and sample links."""
        click.echo(json.dumps(demo_info(), ensure_ascii=False, indent=2))

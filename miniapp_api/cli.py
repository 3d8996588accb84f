"""Flask CLI commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import json

import click
from flask import Flask

from .extensions import db


def register_cli(app: Flask) -> None:
    from .auth.cli import register as register_auth_cli

    register_auth_cli(app)

    from .keys_cli import register as register_keys_cli

    register_keys_cli(app)

    from .partners.cli import register as register_partner_cli

    register_partner_cli(app)

    @app.cli.command("seed-demo")
    @click.option("--scale", default=2000, show_default=True, help="Number of certificates.")
    @click.option("--seed", default=20261126, show_default=True, help="Random seed.")
    def seed_demo_command(scale: int, seed: int) -> None:
        """Create the deterministic demo registry (a second run changes nothing)."""
        from .demo.seed import seed_demo

        result = seed_demo(scale=scale, seed=seed)
        from .demo.seed import SEED_HOOKS

        for hook in SEED_HOOKS:
            hook()
        db.session.commit()
        if not result.get("created"):
            click.echo("Demo data already present; nothing changed.")
        else:
            click.echo(json.dumps(result, ensure_ascii=False))

    @app.cli.command("demo-info")
    def demo_info_command() -> None:
        """Print JSON describing the demo citizens and sample links."""
        from .demo.info import demo_info

        click.echo(json.dumps(demo_info(), ensure_ascii=False, indent=2))

    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create all tables directly (development shortcut; production uses `db upgrade`)."""
        db.create_all()
        click.echo("Tables created.")

    from .handover.cli import register as register_handover

    register_handover(app)

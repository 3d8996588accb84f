"""`flask --app wsgi init-db`: create the tables directly (development shortcut)."""

from __future__ import annotations

import click
from flask import Flask

from ..database import db


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create all tables directly (development shortcut; production uses `db upgrade`)."""
        db.create_all()
        click.echo("Tables created.")

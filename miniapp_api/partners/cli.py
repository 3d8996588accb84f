"""`flask create-partner NAME --kind KIND [--organisation ORG] [--service water|power|gas]`."""

from __future__ import annotations

import click
from flask import Flask

from ..models import PARTNER_KINDS
from .service import create_partner


def register(app: Flask) -> None:
    @app.cli.command("create-partner")
    @click.argument("name")
    @click.option("--kind", type=click.Choice(PARTNER_KINDS), required=True)
    @click.option("--organisation", default=None, help="Developer name on its projects.")
    @click.option(
        "--service",
        type=click.Choice(("water", "power", "gas")),
        default=None,
        help="For --kind utility: the one service it runs.",
    )
    def create_partner_command(
        name: str, kind: str, organisation: str | None, service: str | None
    ) -> None:
        """Create a partner and print its API key (shown once; only a hash is stored)."""
        try:
            _partner, key = create_partner(name, kind, organisation, service)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(key)

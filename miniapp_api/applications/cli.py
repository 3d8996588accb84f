"""`flask send-webhooks [--once]` and `flask workday-override DAY work|rest [NOTE]`."""

from __future__ import annotations

import time
from datetime import date

import click
from flask import Flask

from ..database import db
from .idempotency import purge_expired
from .rollup import rebuild
from .webhooks import deliver_due
from .workdays import set_override


def register(app: Flask) -> None:
    @app.cli.command("send-webhooks")
    @click.option("--once", is_flag=True, help="Deliver what is due now and stop.")
    @click.option("--interval", default=5.0, help="Seconds between rounds.")
    def send_webhooks(once: bool, interval: float) -> None:
        """Deliver partner webhooks (application.status_changed) from the outbox."""

        while True:
            counts = deliver_due()
            purge_expired()
            db.session.commit()
            click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
            if once:
                return
            time.sleep(interval)

    @app.cli.command("workday-override")
    @click.argument("day")
    @click.argument("kind", type=click.Choice(["work", "rest"]))
    @click.argument("note", required=False)
    def workday_override(day: str, kind: str, note: str | None) -> None:
        """Enter one day of the State Council's published schedule (overrides the package)."""

        set_override(date.fromisoformat(day), kind == "work", note)
        db.session.commit()
        click.echo(f"{day}: {kind}")

    @app.cli.command("applications-rollup")
    def rollup_command() -> None:
        """Rebuild the daily statistics rollup from the applications."""

        rows = rebuild()
        db.session.commit()
        click.echo(f"{rows} rollup rows")

"""`flask remind-utilities` (the daily reminder of overdue utility tasks, cron once a day) and
`flask utilities-rollup` (rebuild the figures' rollup)."""

from __future__ import annotations

import click
from flask import Flask

from ..database import db
from .overdue import send_reminders
from .rollup import rebuild


def register(app: Flask) -> None:
    @app.cli.command("remind-utilities")
    def remind_utilities() -> None:
        """Queue a utility.task_overdue webhook for each task overdue (at most once a day)."""

        count = send_reminders()
        db.session.commit()
        click.echo(f"reminded={count}")

    @app.cli.command("utilities-rollup")
    def rollup_command() -> None:
        """Rebuild the rollup behind utility_transfers.requested from the applications."""

        rows = rebuild()
        db.session.commit()
        click.echo(f"{rows} rollup rows")

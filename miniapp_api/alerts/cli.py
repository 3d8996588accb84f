"""`flask --app wsgi alerts-digest [--month YYYY-MM]`: the monthly digest (run on the 1st)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask

from ..clock import CHINA_TZ
from ..database import db
from .digest import previous_month, send_digest


def register(app: Flask) -> None:
    @app.cli.command("alerts-digest")
    @click.option("--month", help="YYYY-MM; default: last month (Beijing time).")
    def alerts_digest(month: str | None) -> None:
        """Send each subscribed holder last month's verification counts (once per month)."""

        if month is None:
            month = previous_month(datetime.now(CHINA_TZ).date())
        else:
            try:
                datetime.strptime(month, "%Y-%m")
            except ValueError:
                raise click.BadParameter("use YYYY-MM", param_hint="--month") from None
        counts = send_digest(month)
        db.session.commit()
        click.echo(f"{month}: holders={counts['holders']} sent={counts['sent']}")

"""`flask --app wsgi send-notifications`: deliver queued WeChat messages (outbox)."""

from __future__ import annotations

import json
import logging
import signal
from typing import Any

import click
from flask import Flask, current_app

from ..outbox import DeliveryPolicy, drain, run_loop

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    @app.cli.command("send-notifications")
    @click.option("--once", is_flag=True, help="Deliver everything due now, then exit.")
    @click.option(
        "--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due."
    )
    @click.option("--batch", default=100, show_default=True, help="Messages per round.")
    @click.option("--max-attempts", type=int, default=None, help="Give up after N attempts.")
    @click.option("--lease", type=int, default=None, help="Seconds an attempt may take.")
    def send_notifications(
        once: bool, interval: float, batch: int, max_attempts: int | None, lease: int | None
    ) -> None:
        """Send queued 交房即交证 WeChat template messages (at most once each)."""
        policy = DeliveryPolicy.from_config(
            current_app.config, batch=batch, max_attempts=max_attempts, lease_seconds=lease
        )
        if once:
            result = drain(policy)
            click.echo(json.dumps(result.as_dict()))
            return
        stopping = {"flag": False}

        def stop(signum: int, _frame: Any) -> None:
            log.info("send-notifications: signal %s, stopping after this message", signum)
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("send-notifications: polling every %ss", interval)
        run_loop(interval, policy, should_stop=lambda: stopping["flag"])

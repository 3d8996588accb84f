"""`flask --app wsgi create-staff USERNAME --role clerk|admin [--password-stdin]`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from . import staff_service


def register(app: Flask) -> None:
    @app.cli.command("create-staff")
    @click.argument("username")
    @click.option(
        "--role", type=click.Choice(staff_service.ROLES), required=True, help="clerk or admin."
    )
    @click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input instead of a prompt.",
    )
    def create_staff_command(username: str, role: str, password_stdin: bool) -> None:
        """Create a staff account (argon2 password hash; weak passwords are refused)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("密码 (password)", hide_input=True, confirmation_prompt=True)
        try:
            user = staff_service.create_staff(username, role, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created staff user {user.username!r} with role {user.role}.")

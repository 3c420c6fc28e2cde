"""`tutor users …`: classroom accounts for the web app (each account is its own learner)."""

from __future__ import annotations

import json
import sys

import click

from tutor.accounts import Accounts
from tutor.clierrors import friendly_errors


def _accounts(ctx: click.Context) -> Accounts:
    return Accounts.from_settings(ctx.find_root().obj.settings)


def _read_password(name: str) -> str:
    """Typed twice at a terminal; otherwise the first line of stdin (`echo "$PW" | tutor users add ada`)."""
    if sys.stdin.isatty():
        return str(click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.group()
def users() -> None:
    """Accounts for a class: each learner signs in to the web app with their own name and password."""


@users.command()
@click.argument("name")
@click.option("--teacher", is_flag=True, help="This account also sees the whole class (the Teacher panel).")
@click.pass_context
@friendly_errors
def add(ctx: click.Context, name: str, teacher: bool) -> None:
    """Add NAME; the password (at least 8 characters) is asked twice at a terminal, else read from stdin."""
    accounts = _accounts(ctx)
    password = _read_password(name)
    account = accounts.add(name, password, teacher)
    role = "teacher" if account.teacher else "learner"
    click.echo(f"Added {account.name} ({role}) to {accounts.path}. The web app now asks everyone to sign in.", err=True)


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@click.pass_context
@friendly_errors
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """The accounts: name, role and when each was added (never a password or its hash)."""
    accounts = _accounts(ctx).list()
    if as_json:
        click.echo(json.dumps({"accounts": [a.as_json() for a in accounts]}, ensure_ascii=False))
        return
    if not accounts:
        click.echo("No accounts: the web app is open to anyone who can reach it. Add one with `tutor users add`.")
    for a in accounts:
        click.echo(f"{a.name:<32} {'teacher' if a.teacher else 'learner':<8} {a.created_at}")


@users.command()
@click.argument("name")
@click.pass_context
@friendly_errors
def remove(ctx: click.Context, name: str) -> None:
    """Remove NAME's account; their sessions end at once. Their study record stays (`tutor study reset`)."""
    account = _accounts(ctx).remove(name)
    click.echo(
        f"Removed {account.name}. Their study record is kept; erase it with "
        f"`tutor study reset --learner {account.name}`.",
        err=True,
    )

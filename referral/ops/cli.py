"""``flask --app wsgi ...`` commands."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from referral.accounts.services import create_admin as _create_admin
from referral.audit.cli import audit_cli
from referral.core import config as config_module
from referral.core import db, errors, migrate
from referral.identity.cli import keys_cli
from referral.ops import demo_world, jobs
from referral.ops.demo import DEMO_PASSWORD, load
from referral.pathways.cli import workflows_cli

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="Accounts.")
demo_cli = AppGroup("demo", help="Demo data for development.")
jobs_cli = AppGroup("jobs", help="Periodic jobs (safe to run from cron on every machine).")


def _url() -> str:
    url: str = current_app.config["DATABASE_URL"]
    return url


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(_url(), revision)
    click.echo(f"database at {migrate.current_revision(db.database().engine)}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(_url(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the applied and the head revision."""
    click.echo(f"current: {migrate.current_revision(db.database().engine)}")
    click.echo(f"head:    {migrate.head_revision(_url())}")


@users_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (for scripts), not a prompt.")
@click.option("--organisation", default="Platform operator", show_default=True)
def create_admin(username: str, password_stdin: bool, organisation: str) -> None:
    """Bootstrap an administrator account; the password is asked for, never an argument
    (an argument stays in the shell history and in the process list)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password (at least 12 characters, not a common one)",
                                hide_input=True, confirmation_prompt=True)

    s = db.database().sessionmaker()
    try:
        user = _create_admin(s, username, password, organisation)
        s.commit()
    except errors.ValidationFailed as exc:
        s.rollback()
        for field, messages in exc.errors.items():
            click.echo(f"error: {field}: {' '.join(messages)}", err=True)
        sys.exit(2)
    finally:
        s.close()
    click.echo(f"created admin {user.username} ({user.id})")


@demo_cli.command("load")
def demo_load() -> None:
    """Load a demo LIVC with its members and one user per role (development only)."""

    if current_app.config["ENV"] == "production":
        click.echo("error: demo data is never loaded in production", err=True)
        sys.exit(2)
    s = db.database().sessionmaker()
    try:
        created = load(s)
        s.commit()
    finally:
        s.close()
    if not created:
        click.echo("demo data already present")
        return
    click.echo("Demo accounts (development only; MFA exempt):")
    for username, password, what in created:
        click.echo(f"  {username:<14} {password}   {what}")
    try:
        references = demo_world.populate(current_app._get_current_object(),  # type: ignore[attr-defined]
                                         DEMO_PASSWORD)
    except demo_world.DemoError as exc:
        click.echo(f"error: the demo cases could not be built: {exc}", err=True)
        sys.exit(1)
    click.echo("Demo cases:")
    for state, reference in references.items():
        click.echo(f"  {reference:<28} {state}")


@jobs_cli.command("run")
@click.option("--only", multiple=True, help="run only these jobs")
def run_jobs(only: tuple[str, ...]) -> None:
    """Run every periodic job once (expiries, reminders, purges, audit checkpoint)."""
    unknown = set(only) - set(jobs.JOBS)
    if unknown:
        click.echo(f"error: unknown job(s): {', '.join(sorted(unknown))}", err=True)
        sys.exit(2)
    for result in jobs.run(current_app._get_current_object(), only):  # type: ignore[attr-defined]
        status = f"changed {result.changed}" if result.ran else "skipped"
        extra = f" ({'; '.join(result.notes)})" if result.notes else ""
        click.echo(f"{result.name:<20} {status}{extra}")


config_cli = AppGroup("config", help="The effective configuration.")


@config_cli.command("show")
def config_show() -> None:
    """Print the effective settings (defaults and REFERRAL_* variables), secrets masked."""
    for name, value in config_module.effective(current_app.config).items():
        click.echo(f"{config_module.ENV_PREFIX}{name}={value}")


def register(app: Flask) -> None:
    for group in (db_cli, users_cli, demo_cli, keys_cli, workflows_cli, jobs_cli, config_cli):
        app.cli.add_command(group)
    app.cli.add_command(audit_cli)

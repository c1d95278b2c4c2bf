"""Top-level CLI commands: ``flask --app wsgi seed-demo`` and ``demo-accounts``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.core import demo
from portal.core.db import write_transaction
from portal.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo data (idempotent: running it again adds nothing twice)."""
    for seeder in demo.seeders():
        with write_transaction():
            seeder.run()
            db.session.commit()
        click.echo(f"  ✓ {seeder.name}")
    click.echo("Demo data is ready.")


@click.command("demo-accounts")
def demo_accounts_command():
    """Print the demo accounts and their passwords."""
    click.echo("")
    click.echo("Demo accounts — sign in at /auth/login with the phone number and password:")
    click.echo("  phone         password    name  who")
    for account in demo.DEMO_ACCOUNTS:
        click.echo(f"  {account['phone']}   {account['password']}   {account['name']}  {account['label']}")
    click.echo("")


def init_app(app) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_accounts_command)

"""``flask --app wsgi users create --phone … --password … --name … --role staff --union CODE``"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.accounts import services
from portal.accounts.models import ROLES
from portal.core.db import write_transaction
from portal.core.errors import DomainError
from portal.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--phone", required=True, help="Mainland mobile number; the login.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Initial password (prompted when omitted).",
)
@click.option("--name", required=True, help="Real name.")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--union", "union_code", default=None, help="Union code; required for staff.")
def create_user(phone, password, name, role, union_code):
    """Create a worker, staff or admin account."""
    try:
        with write_transaction():
            user = services.create_account(
                None, phone=phone, password=password, name=name, role=role, union_code=union_code
            )
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    where = f" at {user.union.name} ({user.union.code})" if user.union else ""
    click.echo(f"Created {user.role} account {user.phone} ({user.name}){where}.")

"""``flask --app wsgi stations import FILE.csv`` and ``stations export FILE.csv``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.core.db import write_transaction
from portal.core.validators import InvalidInput
from portal.extensions import db
from portal.stations import importer, services

stations_cli = AppGroup("stations", help="Rest stations: import and export.")


@stations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--valid-rows-only", is_flag=True, help="Import the valid rows even when some rows have errors.")
def import_command(path: Path, valid_rows_only: bool):
    """Import stations from a UTF-8 CSV (header: name,address,lat,lng,amenities,open_hours,union_code)."""
    started = time.monotonic()

    def progress(rows: int) -> None:
        click.echo(f"\r  checked {rows:,} rows ({time.monotonic() - started:.1f} s)", nl=False)

    try:
        with write_transaction():
            report = importer.import_stations(path.read_bytes(), valid_rows_only=valid_rows_only, progress=progress)
            if report.imported:
                click.echo(f"\n  writing {report.created + report.updated:,} stations…", nl=False)
                db.session.commit()
            else:
                db.session.rollback()
    except InvalidInput as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    click.echo("")
    for row, message in report.errors:
        click.echo(f"  row {row}: {message}", err=True)
    if report.error_count > len(report.errors):
        click.echo(f"  … and {report.error_count - len(report.errors):,} more rows with errors", err=True)
    elapsed = time.monotonic() - started
    if report.imported:
        click.echo(
            f"Imported {report.created:,} new and updated {report.updated:,} stations "
            f"({report.error_count:,} rows skipped) in {elapsed:.1f} s."
        )
    else:
        click.echo(
            f"Nothing imported: {report.error_count:,} of {report.total:,} rows have errors. "
            "Fix them, or run again with --valid-rows-only.",
            err=True,
        )
        sys.exit(1)


@stations_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path):
    """Export every station as CSV (with a BOM, for Excel)."""
    path.write_text(services.export_csv(None), encoding="utf-8")
    click.echo(f"Wrote {path}.")

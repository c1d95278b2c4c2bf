"""The workers' service portal (职工服务门户): the app factory."""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, INSTANCE_DIR, get_config

# Each domain is a package under portal/ with an ``init_app(app)`` that registers its
# blueprints, CLI commands, tiles and demo data. A new module adds itself here.
DOMAINS = (
    "main",
    "accounts",
    "unions",
    "membership",
    "stations",
    "aid",
    "insurance",
    "libraries",
    "staff",
    "api",
)


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.config.from_object(get_config(config_name))
    if overrides:
        app.config.update(overrides)
    _ensure_secrets(app)

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _init_extensions(app)

    from portal.core import assets, audit, capacity, files, notify, time, web  # noqa: F401  (register their tables)
    from portal.core import cli as core_cli

    web.init_app(app)
    assets.init_app(app)
    files.init_app(app)
    for name in DOMAINS:
        importlib.import_module(f"portal.{name}").init_app(app)
    core_cli.init_app(app)
    from portal.core import jobs, workflow

    jobs.init_app(app)
    jobs.register_job("workflow.timed_stages", workflow.run_timed_stages)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.core import crypto
    from portal.core import db as core_db
    from portal.core.i18n import select_locale
    from portal.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

    core_db.sqlite_busy_timeout_ms = app.config["SQLITE_BUSY_TIMEOUT_MS"]
    _prepare_sqlite_path(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite file cannot drop a connection: pinging it before every request is a wasted query.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if app.config["COMMIT_READ_ONLY_REQUESTS"] is None:  # on where it pays: psycopg's prepared statements
        app.config["COMMIT_READ_ONLY_REQUESTS"] = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if app.config["COMMIT_READ_ONLY_REQUESTS"]:
        core_db.commit_read_only_requests(app, db)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    crypto.init_app(app)
    compress.init_app(app)  # registers itself only when COMPRESS_REGISTER is on


def _prepare_sqlite_path(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _ensure_secrets(app: Flask) -> None:
    """Production needs real secrets from the environment; development keeps its own."""
    from cryptography.fernet import Fernet

    generators = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": lambda: secrets.token_urlsafe(32),
    }
    for key, generate in generators.items():
        if app.config.get(key):
            continue
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(f"{key} must be set in the environment in production")
        path = INSTANCE_DIR / key.lower()
        if not path.exists():
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(generate())
            path.chmod(0o600)
        app.config[key] = path.read_text().strip()

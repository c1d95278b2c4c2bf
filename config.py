"""Configuration classes. Every setting can be overridden from the environment.

Pick one with ``PORTAL_CONFIG`` (``development`` — the default —, ``testing``,
``production``).  Secrets are never committed: in development they are generated
once and kept under ``instance/``; in production they must come from the
environment and the app refuses to start without them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _default_sqlite_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'portal.db'}"


class BaseConfig:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Fernet key(s) for sensitive personal information; comma-separated, newest first,
    # so old values stay readable during a key rotation.
    FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY")
    # Key for the keyed hashes (HMAC) that enforce "one ID number, one account".
    # Never rotate it without re-hashing: lookups by hash would stop matching.
    FIELD_HASH_KEY = os.environ.get("FIELD_HASH_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _default_sqlite_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    # End a request that wrote nothing with COMMIT rather than ROLLBACK, so that psycopg keeps its
    # prepared statements (it drops them at every ROLLBACK). None: on for PostgreSQL only.
    COMMIT_READ_ONLY_REQUESTS = None
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 10_000)

    REDIS_URL = os.environ.get("REDIS_URL")

    # Localisation: Simplified Chinese first, English as the alternative.
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("zh_CN", "en")

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 7

    WTF_CSRF_TIME_LIMIT = _env_int("WTF_CSRF_TIME_LIMIT", 4 * 3600)
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)

    # Password hashing (argon2id). Lower costs only in tests.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 64 * 1024)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    # Rate limits (Flask-Limiter syntax). Mobile carriers put many people behind one
    # address, so per-IP limits are generous and the per-phone limit is the tight one.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per minute;300 per hour")
    LOGIN_LIMIT_PER_PHONE = os.environ.get("LOGIN_LIMIT_PER_PHONE", "5 per minute;20 per hour")
    REGISTER_LIMIT_PER_IP = os.environ.get("REGISTER_LIMIT_PER_IP", "10 per minute;50 per hour")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers we trust.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # The address printed in QR codes (member cards, join posters). Leave unset to use the
    # address the request came in on; set it when staff reach the portal by another name.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # How long a member card's QR code verifies (a saved screenshot stops working after this).
    MEMBER_CARD_TOKEN_TTL = _env_int("MEMBER_CARD_TOKEN_TTL", 24 * 3600)

    # Map tiles for the station map, e.g. "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png" or a
    # Chinese provider. Empty (the default): the map draws its markers on a plain background and
    # loads nothing from the internet. Chinese providers (AMap, Tencent) draw in GCJ-02: set the CRS.
    STATION_MAP_TILES = os.environ.get("STATION_MAP_TILES", "")
    STATION_MAP_TILE_CRS = os.environ.get("STATION_MAP_TILE_CRS", "wgs84")  # or "gcj02"
    STATION_MAP_ATTRIBUTION = os.environ.get("STATION_MAP_ATTRIBUTION", "")
    STATION_MAP_TILE_SUBDOMAINS = os.environ.get("STATION_MAP_TILE_SUBDOMAINS", "abc")  # what {s} stands for
    # Optional second layer drawn over the tiles (天地图's place names, cva_w); same subdomains.
    STATION_MAP_LABEL_TILES = os.environ.get("STATION_MAP_LABEL_TILES", "")
    # The station finder: how far "nearby" reaches (stations beyond it are listed apart, as far
    # ones), and the district (a union code: city or county) it opens on for a first visitor.
    STATION_SEARCH_RADIUS_M = _env_int("STATION_SEARCH_RADIUS_M", 30_000)
    STATION_DEFAULT_REGION = os.environ.get("STATION_DEFAULT_REGION", "230100")  # 哈尔滨市
    STATION_DISTRICTS_CACHE_SECONDS = _env_int("STATION_DISTRICTS_CACHE_SECONDS", 300)  # the district picker
    # Problem reports about rest stations, per account (counted in the database, every worker process).
    STATION_REPORTS_PER_HOUR = _env_int("STATION_REPORTS_PER_HOUR", 5)
    STATION_REPORTS_PER_DAY = _env_int("STATION_REPORTS_PER_DAY", 20)

    # HTML, JSON and CSV compressed by the app (Flask-Compress); static files are precompressed
    # (flask assets compress) and served by WhiteNoise. Behind nginx either may be left to nginx.
    COMPRESS_REGISTER = _env_bool("COMPRESS_RESPONSES", True)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/csv",
        "application/json",
        "application/javascript",
        "image/svg+xml",
    ]

    # Hardship aid's self-check (portal/aid/rules.py): relative hardship below this many times the
    # 低保 standard; accident when essential spending exceeds this share of the income; point to
    # mutual medical cover when self-paid medical costs exceed this share; migrant workers' months.
    AID_RELATIVE_MULTIPLIER = os.environ.get("AID_RELATIVE_MULTIPLIER", "2")
    AID_ACCIDENT_SHARE = os.environ.get("AID_ACCIDENT_SHARE", "0.8")
    AID_INSURANCE_MEDICAL_SHARE = os.environ.get("AID_INSURANCE_MEDICAL_SHARE", "0.3")
    AID_MIGRANT_MIN_MONTHS = _env_int("AID_MIGRANT_MIN_MONTHS", 12)
    AID_NOTICE_WORKING_DAYS = _env_int("AID_NOTICE_WORKING_DAYS", 5)  # 公示: working days an approved case is on notice

    # Worker libraries (portal/libraries): visits bookable this many days ahead, upcoming visits per
    # person (waiting ones count), no-shows marked this many minutes after a slot starts, and
    # LIBRARY_NO_SHOW_LIMIT no-shows within LIBRARY_NO_SHOW_WINDOW_DAYS suspend booking for
    # LIBRARY_SUSPENSION_DAYS. Holds wait LIBRARY_HOLD_COLLECT_DAYS once ready; loans are due after
    # LIBRARY_LOAN_DAYS (a renewal adds as many), with reminders LIBRARY_REMINDER_DAYS before.
    LIBRARY_BOOK_DAYS_AHEAD = _env_int("LIBRARY_BOOK_DAYS_AHEAD", 7)
    LIBRARY_MAX_UPCOMING_VISITS = _env_int("LIBRARY_MAX_UPCOMING_VISITS", 2)
    LIBRARY_NO_SHOW_AFTER_MINUTES = _env_int("LIBRARY_NO_SHOW_AFTER_MINUTES", 15)
    LIBRARY_NO_SHOW_LIMIT = _env_int("LIBRARY_NO_SHOW_LIMIT", 3)
    LIBRARY_NO_SHOW_WINDOW_DAYS = _env_int("LIBRARY_NO_SHOW_WINDOW_DAYS", 30)
    LIBRARY_SUSPENSION_DAYS = _env_int("LIBRARY_SUSPENSION_DAYS", 7)
    LIBRARY_HOLD_COLLECT_DAYS = _env_int("LIBRARY_HOLD_COLLECT_DAYS", 3)
    LIBRARY_MAX_OPEN_HOLDS = _env_int("LIBRARY_MAX_OPEN_HOLDS", 5)
    LIBRARY_LOAN_DAYS = _env_int("LIBRARY_LOAN_DAYS", 30)
    LIBRARY_REMINDER_DAYS = _env_int("LIBRARY_REMINDER_DAYS", 3)

    # Uploads (portal/core/files): photos (JPEG, PNG, HEIC) and PDFs, recognised by content.
    # Where the sealed blobs live: outside the web root (never under portal/static); default
    # <instance>/uploads. Several app servers need a shared store (docs/architecture.md, "Uploads").
    UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT") or None
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)  # per file
    UPLOAD_MAX_FILES = _env_int("UPLOAD_MAX_FILES", 20)  # per application and purpose, and per form post
    # The request body an upload view (files.allow_large_upload) accepts: a few files in one form post
    # without JavaScript. Other views keep MAX_CONTENT_LENGTH.
    UPLOAD_MAX_REQUEST_BYTES = _env_int("UPLOAD_MAX_REQUEST_BYTES", 60 * 1024 * 1024)
    # Decompression bombs: an image declaring more pixels than this is refused before decoding
    # (60 MP holds a 48 MP phone photo; decoding costs 3-4 bytes per pixel).
    UPLOAD_MAX_PIXELS = _env_int("UPLOAD_MAX_PIXELS", 60_000_000)
    # Stored images are scaled down to this longest side (4096 px: an A4 page at 350 dpi); 0 keeps the size.
    UPLOAD_IMAGE_MAX_SIDE = _env_int("UPLOAD_IMAGE_MAX_SIDE", 4096)
    UPLOAD_THUMBNAIL_SIZE = _env_int("UPLOAD_THUMBNAIL_SIZE", 320)  # longest side of a thumbnail, px

    SITE_NAME = "职工服务门户"
    # The union that runs this portal, named on the home page (a name: shown as written in every language).
    PORTAL_OPERATOR_NAME = os.environ.get("PORTAL_OPERATOR_NAME", "黑龙江省总工会")
    PRIVACY_NOTICE_VERSION = "2026-11"

    @classmethod
    def ratelimit_storage_uri(cls) -> str:
        return cls.REDIS_URL or "memory://"


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 (tests only)
    FIELD_ENCRYPTION_KEY = "x-5aqtfj2ANnJ0OcZ3a6yLNtL7qHkSGdqz1wVw2sUZ4="
    FIELD_HASH_KEY = "test-hash-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    REDIS_URL = None
    STATION_DISTRICTS_CACHE_SECONDS = 0  # tests change the union tree between requests
    # Each test process its own upload directory, never the developer's instance/uploads.
    UPLOAD_ROOT = os.environ.get("TEST_UPLOAD_ROOT") or str(
        Path(tempfile.gettempdir()) / f"portal-test-uploads-{os.getpid()}"
    )


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[BaseConfig]:
    name = name or os.environ.get("PORTAL_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"Unknown PORTAL_CONFIG {name!r}; choose one of {sorted(CONFIGS)}") from None

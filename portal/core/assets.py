"""Static files: content-hashed names cached for a year, precompressed, served by WhiteNoise.

Every file under ``portal/static`` is also reachable under a name that carries a hash of its
content (``css/app.css`` → ``css/app.3f2a1b9c0d.css``). Templates link to that name through
``asset_url()``, so the browser may keep it forever (``Cache-Control: max-age=31536000,
immutable``): a changed file has a new name. The plain name stays reachable with a short
lifetime, for the few references that cannot carry a hash (``url()`` inside vendored CSS).

WhiteNoise serves both before Flask sees the request, and sends the ``.br`` or ``.gz`` file
next to the original when the browser accepts it: ``flask assets compress`` (run by ``make``)
writes them. Without them the files are served uncompressed, which is correct, only larger.

In debug mode nothing is cached and asset URLs fall back to ``?v=<hash>`` of the file as it
is now, so an edited file shows at once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import click
from flask import current_app, request, url_for
from markupsafe import Markup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASH_LENGTH = 10
YEAR = 365 * 24 * 3600
PLAIN_MAX_AGE = 3600  # an hour for un-hashed names
_HASHED_NAME = re.compile(rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[^./]+$")
_COMPRESSED = (".gz", ".br")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


def hashed_name(relative: str, digest: str) -> str:
    stem, dot, ext = relative.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{relative}.{digest}"


def build_manifest(static_folder: Path) -> dict[str, str]:
    """{"css/app.css": "css/app.3f2a1b9c0d.css", …} for every file that is not a compressed copy."""
    manifest = {}
    for path in sorted(static_folder.rglob("*")):
        if path.is_file() and path.suffix not in _COMPRESSED and not path.name.startswith("."):
            relative = path.relative_to(static_folder).as_posix()
            manifest[relative] = hashed_name(relative, file_hash(path))
    return manifest


def _security_headers(headers, path, url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own is a document: it may not run scripts or load anything.
    headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"


def drop_stale_copies(static_folder: Path) -> int:
    """Delete .br/.gz copies older than their file: WhiteNoise would serve them as if current."""
    dropped = 0
    for copy in static_folder.rglob("*"):
        if copy.suffix in _COMPRESSED and copy.is_file():
            original = copy.with_name(copy.name[: -len(copy.suffix)])
            if not original.exists() or copy.stat().st_mtime < original.stat().st_mtime:
                copy.unlink(missing_ok=True)
                dropped += 1
    return dropped


def init_app(app) -> None:
    static_folder = Path(app.static_folder)
    drop_stale_copies(static_folder)
    prefix = app.static_url_path.rstrip("/") + "/"
    manifest = {} if app.debug else build_manifest(static_folder)
    app.extensions["portal_assets"] = manifest
    hashed_urls = {prefix + hashed for hashed in manifest.values()}
    whitenoise = WhiteNoise(
        app.wsgi_app,
        autorefresh=app.debug,
        max_age=0 if app.debug else PLAIN_MAX_AGE,
        allow_all_origins=False,
        add_headers_function=_security_headers,
        immutable_file_test=lambda path, url: url in hashed_urls,
    )
    whitenoise.add_files(str(static_folder), prefix=prefix)
    if not app.debug:
        for relative, hashed in manifest.items():
            whitenoise.add_file_to_dictionary(prefix + hashed, str(static_folder / relative))
    app.wsgi_app = whitenoise
    app.cli.add_command(assets_cli)


def asset_url(filename: str) -> str:
    """The URL of a static file that may be cached forever (its name carries its content hash)."""
    manifest = current_app.extensions.get("portal_assets") or {}
    hashed = manifest.get(filename)
    if hashed is not None:
        # A page links the icon sprite a dozen times: build each URL once per script root.
        urls = current_app.extensions.setdefault("portal_asset_urls", {})
        key = (filename, request.script_root)
        url = urls.get(key)
        if url is None:
            url = urls[key] = url_for("static", filename=hashed)
        return url
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=file_hash(path) if path.exists() else "0")


def svg_icon(name: str, class_: str = "") -> Markup:
    """An icon of the sprite (``img/icons.svg``), hidden from screen readers; built once per name and class."""
    cache = current_app.extensions.setdefault("portal_icons", {})
    key = (name, class_, request.script_root)
    markup = cache.get(key)
    if markup is None:
        markup = cache[key] = Markup(
            '<svg class="icon {}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>'
        ).format(class_, asset_url("img/icons.svg"), name)
    return markup


@click.group("assets", help="Static files.")
def assets_cli() -> None:
    pass


@assets_cli.command("compress")
def compress_command() -> None:
    """Write .br and .gz copies of the static files (skipped where compression does not pay)."""
    compress_static(Path(current_app.static_folder), quiet=False)


def compress_static(static_folder: Path, *, quiet: bool = True) -> int:
    """Precompress every compressible static file whose copies are missing or older; returns how many."""
    compressor = Compressor(quiet=quiet)
    done = 0
    for path in sorted(static_folder.rglob("*")):
        if not path.is_file() or path.suffix in _COMPRESSED or not compressor.should_compress(path.name):
            continue
        copies = [c for c in (path.with_name(path.name + ext) for ext in _COMPRESSED) if c.exists()]
        if copies and all(c.stat().st_mtime >= path.stat().st_mtime for c in copies):
            continue
        compressor.compress(str(path))
        done += 1
    return done

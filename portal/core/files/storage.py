"""Where sealed blobs live: a small interface, and the local directory behind it by default.

``Storage`` works on opaque keys: ``create`` (a context manager yielding a writable
binary file; nothing is left under the key unless the block ends normally), ``put`` (the same
from a readable file), ``open`` (a readable binary file) and ``delete`` (idempotent). ``list_keys``
lists what is stored, for the orphan sweep.

``LocalStorage`` keeps each blob as ``<root>/<first two characters>/<key>``, readable by the
app's user only, written to a temporary name and renamed into place after an fsync, so a blob
either exists whole or not at all. Blobs are sealed (``sealed.py``) before they get here, so
whatever holds them — a disk, a backup, an object store — holds only ciphertext.

Several app servers need a shared store: implement the same methods over an S3-compatible
object store (``create`` spooling to a temporary file and uploading it on success; ``open``
returning the object's streaming body; ``delete``; ``list_keys`` over ListObjectsV2) and install it
with ``files.set_storage(app, MyStorage(…))`` in the app factory. Nothing else changes: rows
hold keys, never paths.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
EXTENSION_KEY = "portal_file_storage"


def new_key() -> str:
    """A random storage key (192 bits): never derived from anything the uploader chose."""
    return secrets.token_urlsafe(24)


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError("not a storage key")
    return key


class Storage:
    """The interface; see the module's docstring."""

    def create(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        raise NotImplementedError

    def put(self, key: str, source: BinaryIO) -> None:
        with self.create(key) as out:
            shutil.copyfileobj(source, out, 64 * 1024)

    def open(self, key: str) -> BinaryIO:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def list_keys(self) -> Iterator[tuple[str, datetime]]:
        """Every stored key with the time it was written (UTC)."""
        raise NotImplementedError


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        path = (self.root / check_key(key)[:2] / key).resolve()
        if not path.is_relative_to(self.root):  # cannot happen with KEY_PATTERN; checked anyway
            raise ValueError("storage key outside the storage root")
        return path

    @contextlib.contextmanager
    def create(self, key: str) -> Iterator[BinaryIO]:
        path = self.path_for(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{secrets.token_hex(4)}.part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)  # keys are random: nothing is ever replaced
        finally:
            temporary.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return open(self.path_for(key), "rb")  # noqa: SIM115 (the caller closes it)

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def list_keys(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if KEY_PATTERN.fullmatch(path.name):
                    yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)


def set_storage(app, storage: Storage) -> None:
    app.extensions[EXTENSION_KEY] = storage


def get_storage() -> Storage:
    storage = current_app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = current_app.extensions[EXTENSION_KEY] = LocalStorage(upload_root(current_app))
    return storage


def upload_root(app) -> Path:
    return Path(app.config.get("UPLOAD_ROOT") or Path(app.instance_path) / "uploads").resolve()


def check_outside_web_root(app) -> None:
    """Refuse to start with uploads inside ``portal/static``: they would be served as they are."""
    root = upload_root(app)
    static = Path(app.static_folder).resolve() if app.static_folder else None
    if static is not None and root.is_relative_to(static):
        raise RuntimeError(f"UPLOAD_ROOT ({root}) must be outside the static folder ({static})")

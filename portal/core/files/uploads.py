"""Taking uploads in: slow work first, then one short write.

``prepare_upload`` does everything slow — measure, sniff, decode, re-encode, seal, write the
blobs — and touches no table. ``record_upload`` then adds the row inside the request's
transaction (checking the per-application limit there, under a lock), flushes, and never commits.
On SQLite a writing transaction holds the database's only write lock from its first statement to
its commit, so image work inside it would make every other writer wait (docs/architecture.md);
``accept_uploads`` does the two in the right order for a whole form's worth of files.

Blobs and rows cannot share a transaction. A prepared upload that is never recorded must be
``discard``ed (``accept_uploads`` does it when a later file is refused). A recorded one whose
transaction rolls back is removed when it ends (``cleanup``); after a crash between the two,
``cleanup.sweep_orphans`` (a job of ``flask jobs run``) removes blobs no row names.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app, request
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.core import audit
from portal.core.db import end_read_only_transaction
from portal.core.files import cleanup, images, sealed
from portal.core.files.models import LABEL_MAX, NAME_MAX, PURPOSES, StoredFile, format_size
from portal.core.files.storage import get_storage, new_key
from portal.core.i18n import lazy_gettext as _l
from portal.core.validators import InvalidInput, clean_line
from portal.extensions import db

MEGABYTE = 1024 * 1024


@dataclass
class PreparedUpload:
    """A file that passed every check and is sealed in storage, but has no row yet."""

    storage_key: str
    thumbnail_key: str | None
    wrapped_key: str
    content_type: str
    size: int
    sha256: str
    original_name: str
    width: int | None = None
    height: int | None = None
    recorded: bool = False
    discarded: bool = False

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.storage_key, self.thumbnail_key) if k]


def display_name(raw: str | None) -> str:
    """The name the file had on the phone, safe to show: base name only, no control or bidi
    characters, at most NAME_MAX characters (the extension kept). Never used as a path."""
    text = clean_line(raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = text.strip().lstrip(".").strip()  # "..", ".htaccess"
    if len(text) > NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 10:
            text = stem[: NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:NAME_MAX].rstrip()
    return text or "upload"


def _measured(stream: BinaryIO, limit: int) -> tuple[BinaryIO | None, int]:
    """The upload as a seekable file and its size, reading no further than ``limit`` + 1 bytes.

    Werkzeug has already spooled the part to a temporary file: its size is known without
    reading it. A stream that cannot seek is copied, up to the limit, into a spooled file."""
    try:
        if stream.seekable():
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(0)
            return stream, size
    except (AttributeError, OSError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=MEGABYTE)  # noqa: SIM115 (closed by the caller)
    size = 0
    while chunk := stream.read(sealed.CHUNK):
        size += len(chunk)
        if size > limit:
            spool.close()
            return None, size
        spool.write(chunk)
    spool.seek(0)
    return spool, size


def prepare_upload(file_storage: FileStorage, *, field: str | None = None) -> PreparedUpload:
    """Check one uploaded file and store it sealed; no database writes. Slow: call it before the
    request's first write. Raises ``InvalidInput`` (on ``field``) saying what is wrong with it."""
    config = current_app.config
    name = display_name(file_storage.filename)
    max_bytes = config["UPLOAD_MAX_BYTES"]
    source, size = _measured(file_storage.stream, max_bytes)
    if source is None or size > max_bytes:
        raise InvalidInput(
            _l(
                "“%(name)s” is larger than %(limit)s. Please send a smaller file.",
                name=name,
                limit=format_size(max_bytes),
            ),
            field=field,
        )
    if size == 0:
        raise InvalidInput(_l("“%(name)s” is empty. Please choose the file again.", name=name), field=field)
    kind = images.sniff(source.read(images.SNIFF_BYTES))
    source.seek(0)
    if kind is None:
        raise InvalidInput(
            _l("“%(name)s” is not a photo (JPG, PNG, HEIC) or a PDF file.", name=name),
            field=field,
        )
    if kind == images.PDF:
        return _prepare_pdf(source, size, name, field)
    return _prepare_image(source, kind, name, field)


def _unreadable(name: str, field: str | None) -> InvalidInput:
    return InvalidInput(
        _l("“%(name)s” could not be read; it may be damaged. Please take the photo or save the file again.", name=name),
        field=field,
    )


def _prepare_pdf(source: BinaryIO, size: int, name: str, field: str | None) -> PreparedUpload:
    source.seek(max(0, size - 1024))
    if b"%%EOF" not in source.read():  # a PDF ends with %%EOF (within its last 1024 bytes)
        raise _unreadable(name, field)
    source.seek(0)
    data_key = sealed.new_data_key()
    key = new_key()
    with get_storage().create(key) as out:
        writer = sealed.SealingWriter(out, data_key, sealed.ROLE_FILE)
        while chunk := source.read(sealed.CHUNK):
            writer.write(chunk)
        writer.finish()
    return PreparedUpload(
        storage_key=key,
        thumbnail_key=None,
        wrapped_key=sealed.wrap_key(data_key),
        content_type="application/pdf",
        size=writer.size,
        sha256=writer.sha256,
        original_name=name,
    )


def _prepare_image(source: BinaryIO, kind: str, name: str, field: str | None) -> PreparedUpload:
    config = current_app.config
    try:
        image = images.open_image(source, kind, max_pixels=config["UPLOAD_MAX_PIXELS"])
        image = images.clean_image(image, kind, max_side=config["UPLOAD_IMAGE_MAX_SIDE"])
    except images.TooManyPixels:
        raise InvalidInput(
            _l(
                "“%(name)s” has too many pixels (at most %(count)d million). Please send a smaller photo.",
                name=name,
                count=config["UPLOAD_MAX_PIXELS"] // 1_000_000,
            ),
            field=field,
        ) from None
    except images.Unreadable as exc:
        current_app.logger.info("upload %r refused as unreadable: %r", name, exc.__cause__ or exc)
        raise _unreadable(name, field) from None
    storage = get_storage()
    data_key = sealed.new_data_key()
    key, thumbnail_key = new_key(), new_key()
    written: list[str] = []
    try:
        with storage.create(key) as out:
            writer = sealed.SealingWriter(out, data_key, sealed.ROLE_FILE)
            content_type = images.save_clean(image, kind, writer)
            writer.finish()
        written.append(key)
        with storage.create(thumbnail_key) as out:
            thumbnail_writer = sealed.SealingWriter(out, data_key, sealed.ROLE_THUMBNAIL)
            images.save_thumbnail(image, thumbnail_writer, side=config["UPLOAD_THUMBNAIL_SIZE"])
            thumbnail_writer.finish()
    except BaseException:
        for done in written:
            storage.delete(done)
        raise
    return PreparedUpload(
        storage_key=key,
        thumbnail_key=thumbnail_key,
        wrapped_key=sealed.wrap_key(data_key),
        content_type=content_type,
        size=writer.size,
        sha256=writer.sha256,
        original_name=name,
        width=image.width,
        height=image.height,
    )


def discard(prepared: PreparedUpload) -> None:
    """Remove the blobs of a prepared upload that will not be recorded (or whose row was rolled
    back). Safe to call more than once."""
    storage = get_storage()
    for key in prepared.keys:
        storage.delete(key)
    prepared.discarded = True


def count_files(application, purpose: str) -> int:
    stmt = (
        select(func.count())
        .select_from(StoredFile)
        .where(StoredFile.application_id == application.id)
        .where(StoredFile.purpose == purpose)
        .where(StoredFile.deleted_at.is_(None))
    )
    return db.session.scalar(stmt)


def _too_many(limit: int, room: int | None = None) -> InvalidInput:
    if room:
        return InvalidInput(
            _l("You can add %(room)d more files here (at most %(count)d in all).", room=room, count=limit)
        )
    return InvalidInput(_l("There can be at most %(count)d files here. Remove one to add another.", count=limit))


def record_upload(
    prepared: PreparedUpload,
    *,
    owner,
    purpose: str,
    application=None,
    label: str | None = None,
    field: str | None = None,
) -> StoredFile:
    """Add the row of a prepared upload to the current transaction (flushed, not committed).

    At most UPLOAD_MAX_FILES files (not deleted) per application and purpose; the application's
    row is locked while counting (PostgreSQL; SQLite's write lock already serialises), so two
    uploads at once cannot both take the last place."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown file purpose {purpose!r}")
    if prepared.recorded or prepared.discarded:
        raise ValueError("this upload was already recorded or discarded")
    label = clean_line(label, max_length=LABEL_MAX, field="label") or None
    if application is not None:
        from portal.core.workflow import Application

        db.session.execute(select(Application.id).where(Application.id == application.id).with_for_update())
        limit = current_app.config["UPLOAD_MAX_FILES"]
        if count_files(application, purpose) >= limit:
            raise _too_many(limit)
    stored = StoredFile(
        owner_id=owner.id,
        application_id=application.id if application is not None else None,
        purpose=purpose,
        label=label,
        content_type=prepared.content_type,
        size=prepared.size,
        original_name=prepared.original_name,
        storage_key=prepared.storage_key,
        thumbnail_key=prepared.thumbnail_key,
        wrapped_key=prepared.wrapped_key,
        sha256=prepared.sha256,
    )
    db.session.add(stored)
    db.session.flush()
    audit.record(
        "file.uploaded",
        stored,
        actor=owner,
        union_id=application.union_id if application is not None else None,
    )
    cleanup.remove_unless_committed(prepared.keys)
    prepared.recorded = True
    return stored


def prepare_uploads(file_storages, *, field: str | None = None) -> list[PreparedUpload]:
    """Prepare each file (``prepare_upload``) outside SQLite's write lock, all or none: if one is
    refused, the blobs of those already prepared are removed and the refusal raised."""
    end_read_only_transaction(db.session)
    prepared: list[PreparedUpload] = []
    try:
        for file_storage in file_storages:
            prepared.append(prepare_upload(file_storage, field=field))
    except BaseException:
        for p in prepared:
            discard(p)
        raise
    return prepared


def commit_with_uploads(file_storages, work):
    """Prepare the files (``prepare_uploads``), then run ``work(prepared)`` — the service call that
    records them, and flushes — and commit (``core.web.commit_action``). If anything is refused the
    transaction rolls back, every blob of this request is removed and the refusal raised again."""
    from portal.core.web import commit_action

    prepared = prepare_uploads(file_storages)
    try:
        return commit_action(lambda: work(prepared))
    except BaseException:
        for p in prepared:
            discard(p)
        raise


def accept_uploads(
    file_storages,
    *,
    owner,
    purpose: str,
    application=None,
    label: str | None = None,
    field: str | None = None,
) -> list[StoredFile]:
    """Take a form's files (``request.files.getlist(name)``): all of them or none.

    Call it before the request's first write (the image work then runs outside SQLite's write
    lock). Parts without a file (a form sent with nothing chosen) are skipped. The first file
    refused refuses the lot (``InvalidInput`` naming it), and the blobs already written are
    removed; the caller's transaction must then roll back, as the standard handlers do."""
    chosen = [f for f in file_storages if f is not None and f.filename]
    if not chosen:
        return []
    limit = current_app.config["UPLOAD_MAX_FILES"]
    if len(chosen) > limit:
        raise _too_many(limit)
    if application is not None:
        room = limit - count_files(application, purpose)
        if len(chosen) > room:
            raise _too_many(limit, room)
    prepared = prepare_uploads(chosen, field=field)
    try:
        return [
            record_upload(p, owner=owner, purpose=purpose, application=application, label=label, field=field)
            for p in prepared
        ]
    except BaseException:
        for p in prepared:
            if not p.recorded:
                discard(p)
        raise


# --- Request size ---------------------------------------------------------------------------


def allow_large_upload(view=None, *, max_request_bytes: int | None = None):
    """Let a view receive a larger request body than MAX_CONTENT_LENGTH (several files in one
    form post): UPLOAD_MAX_REQUEST_BYTES, or ``max_request_bytes``. Each file is still held to
    UPLOAD_MAX_BYTES by ``prepare_upload``, with a message naming it.

        @bp.post("/aid/<public_id>/documents")
        @login_required
        @files.allow_large_upload
        def add_documents(public_id): …

    The limit must be in place before anything reads the form (the CSRF check and the control-
    character check do, in before_request), so the mark is read by a URL value preprocessor,
    which Flask runs before every before_request function (``init_app``).
    """

    def mark(fn):
        fn.portal_upload_max_request_bytes = max_request_bytes or True
        return fn

    return mark(view) if view is not None else mark


def apply_request_limit(endpoint, values) -> None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    limit = getattr(view, "portal_upload_max_request_bytes", None)
    if limit:
        request.max_content_length = current_app.config["UPLOAD_MAX_REQUEST_BYTES"] if limit is True else limit

"""Giving stored files back: to whom, with which headers, and with a trace of staff views.

Scope is decided before a file is reached: the caller loads the application through the scoped
loaders (``workflow.load_for_applicant`` / ``load_for_reviewer``, a 404 outside scope) and asks
``load_file`` for a file *of that application*. A public id of another application's file is
the same 404 as one that does not exist.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import quote

from flask import Response
from sqlalchemy import select, update

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import NotAllowed, NotFound
from portal.core.files import cleanup, sealed
from portal.core.files.models import StoredFile
from portal.core.files.storage import get_storage
from portal.core.i18n import lazy_gettext as _l
from portal.extensions import db

# A stored file opened on its own is a document of our origin: it may not run scripts, load
# anything, submit forms or be framed, whatever a browser might make of its bytes.
FILE_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,24}")


def files_of(application, *, purpose: str | None = None) -> list[StoredFile]:
    """The application's files (not deleted), oldest first."""
    stmt = (
        select(StoredFile)
        .where(StoredFile.application_id == application.id, StoredFile.deleted_at.is_(None))
        .order_by(StoredFile.created_at, StoredFile.id)
    )
    if purpose is not None:
        stmt = stmt.where(StoredFile.purpose == purpose)
    return list(db.session.scalars(stmt))


def load_file(application, public_id: str, *, purpose: str | None = None) -> StoredFile:
    """A file of ``application`` (already loaded in scope) by its public id; else ``NotFound``."""
    if not isinstance(public_id, str) or not _PUBLIC_ID.fullmatch(public_id):
        raise NotFound()
    stmt = select(StoredFile).where(
        StoredFile.public_id == public_id,
        StoredFile.application_id == application.id,
        StoredFile.deleted_at.is_(None),
    )
    if purpose is not None:
        stmt = stmt.where(StoredFile.purpose == purpose)
    stored = db.session.scalars(stmt).first()
    if stored is None:
        raise NotFound()
    return stored


def content_disposition(name: str) -> str:
    """``inline`` with the name in RFC 5987 form and a plain ASCII fallback (no quotes or
    backslashes, nothing a header could be split on)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    fallback = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-") or "file"
    extension = re.sub(r"[^A-Za-z0-9]", "", extension)[:10]
    if extension:
        fallback += "." + extension
    encoded = quote(name, safe="")
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _union_id(stored: StoredFile) -> int | None:
    return stored.application.union_id if stored.application_id is not None else None


def record_view(stored: StoredFile, viewer, *, thumbnail: bool = False) -> bool:
    """Add ``file.viewed`` to the session when ``viewer`` is not the uploader (PIPL: staff views are
    traced); the caller commits it before any byte leaves (``core.web.write_during_read``)."""
    if viewer is not None and getattr(viewer, "id", None) == stored.owner_id:
        return False
    audit.record(
        "file.viewed",
        stored,
        actor=viewer,
        union_id=_union_id(stored),
        note="thumbnail" if thumbnail else None,
    )
    return True


def _streamed(source, chunks):
    try:
        yield from chunks
    finally:
        source.close()


def send(stored: StoredFile, viewer, *, thumbnail: bool = False) -> Response:
    """A view's answer: the file (or its thumbnail), decrypted as it streams. A request helper —
    called by views only, as their last step.

    When ``viewer`` is not the uploader, ``record_view`` is committed first through
    ``core.web.write_during_read`` (the one place a reading request commits a trace), so the
    audit event exists before any byte leaves. The response carries the type that was sniffed and stored,
    ``nosniff``, a sandboxing CSP, ``inline`` with a safe name, and ``no-store``. A blob that fails
    to authenticate raises ``sealed.BlobCorrupted`` — before the response starts when the damage
    is in its first 64 KiB, else by cutting the response short (its Content-Length says so)."""
    if thumbnail and not stored.thumbnail_key:
        raise NotFound()
    if viewer is None or getattr(viewer, "id", None) != stored.owner_id:
        from portal.core.web import write_during_read

        write_during_read(lambda: record_view(stored, viewer, thumbnail=thumbnail))
    data_key = sealed.unwrap_key(stored.wrapped_key)
    storage = get_storage()
    if thumbnail:
        with storage.open(stored.thumbnail_key) as source:
            body = b"".join(sealed.open_sealed(source, data_key, sealed.ROLE_THUMBNAIL))
        response = Response(body, mimetype="image/jpeg")
        name = stored.download_name.rpartition(".")[0] + "-thumbnail.jpg"
    else:
        source = storage.open(stored.storage_key)
        try:
            chunks = sealed.open_sealed(source, data_key, sealed.ROLE_FILE)
            first = next(chunks)  # a wrong key or a damaged start fails here, as an error page
        except BaseException:
            source.close()
            raise
        response = Response(_streamed(source, itertools.chain([first], chunks)), mimetype=stored.content_type)
        response.content_length = stored.size
        response.call_on_close(source.close)  # also when the body is never read (HEAD)
        name = stored.download_name
    headers = response.headers
    headers["Content-Type"] = "image/jpeg" if thumbnail else stored.content_type
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Disposition"] = content_disposition(name)
    headers["Cache-Control"] = "private, no-store"
    headers["Content-Security-Policy"] = FILE_CSP
    return response


def delete(stored: StoredFile, actor) -> None:
    """The person who uploaded a file removes it while its application is open: the row is kept
    (marked deleted, audited), the content is removed once the transaction commits."""
    if actor is None or actor.id != stored.owner_id:
        raise NotAllowed(_l("Only the person who added a file can remove it."))
    if stored.application_id is not None and not stored.application.is_open:
        raise NotAllowed(_l("Files cannot be removed once the application is closed."))
    now = utcnow()
    done = db.session.execute(
        update(StoredFile)
        .where(StoredFile.id == stored.id, StoredFile.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise NotFound()
    db.session.expire(stored, ["deleted_at"])
    audit.record("file.deleted", stored, actor=actor, union_id=_union_id(stored))
    cleanup.delete_after_commit(stored)

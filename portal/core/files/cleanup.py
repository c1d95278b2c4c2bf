"""Blobs follow their rows: removed when the row they were written for is not committed, or once
the deletion of their row is.

Blobs and rows cannot share a transaction, so the session keeps two lists in ``session.info``:
the blobs of rows added in the current transaction (removed when it ends without a commit — a
refusal, an error, a rollback) and the blobs of rows deleted in it (removed after it commits,
never before: a rollback would bring the row back without its content). After a crash between
writing a blob and committing its row, ``sweep_orphans`` removes blobs no live row names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.core.files.models import StoredFile
from portal.core.files.storage import Storage, get_storage
from portal.extensions import db

_PENDING = "portal_files_pending"
_DELETE_AFTER_COMMIT = "portal_files_delete_after_commit"
ORPHAN_AGE = timedelta(hours=6)


def remove_unless_committed(keys) -> None:
    """The blobs ``keys`` belong to a row added in the current transaction."""
    storage = get_storage()
    db.session.info.setdefault(_PENDING, []).extend((storage, key) for key in keys)


def delete_after_commit(stored: StoredFile) -> None:
    """Remove the blobs of ``stored`` once the current transaction commits."""
    storage = get_storage()
    keys = [k for k in (stored.storage_key, stored.thumbnail_key) if k]
    db.session.info.setdefault(_DELETE_AFTER_COMMIT, []).extend((storage, key) for key in keys)


def _remove(blobs) -> None:
    for storage, key in blobs:
        try:
            storage.delete(key)
        except Exception:  # a blob left behind is swept later; never fail the request for it
            if current_app:
                current_app.logger.exception("could not remove blob %s", key)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(_PENDING, None)  # their rows are committed: the blobs stay
    _remove(session.info.pop(_DELETE_AFTER_COMMIT, ()))


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Still pending at the end of the outermost transaction: it did not commit.
    session.info.pop(_DELETE_AFTER_COMMIT, None)
    _remove(session.info.pop(_PENDING, ()))


def sweep_orphans(as_of: datetime, *, storage: Storage | None = None) -> int:
    """Remove blobs older than ORPHAN_AGE that no live row names (a process that died between
    writing a blob and committing its row; a deletion whose blob removal failed). Returns how
    many. Younger blobs are left alone: their upload may still be on its way to a commit."""
    storage = storage or get_storage()
    cutoff = as_of - ORPHAN_AGE
    removed = 0
    batch: list[str] = []

    def live(column) -> set[str]:
        return set(db.session.scalars(select(column).where(column.in_(batch), StoredFile.deleted_at.is_(None))))

    def flush_batch() -> int:
        named = live(StoredFile.storage_key) | live(StoredFile.thumbnail_key)
        gone = [key for key in batch if key not in named]
        for key in gone:
            storage.delete(key)
        batch.clear()
        return len(gone)

    for key, written_at in storage.list_keys():
        if written_at < cutoff:
            batch.append(key)
            if len(batch) >= 500:
                removed += flush_batch()
    if batch:
        removed += flush_batch()
    db.session.rollback()  # only read
    return removed

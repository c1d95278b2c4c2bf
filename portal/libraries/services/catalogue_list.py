"""A library's catalogue as its staff list it: a page of its entries, the latest first, each with
its copies — on the shelf, out (lent or set aside for a hold) — and the holds waiting for one.
Searching within the library goes through ``search``; ``StaffRow.of`` turns its results into the
same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.core.isbn import format_isbn13
from portal.extensions import db
from portal.libraries.models import LibraryBook
from portal.libraries.services.books import ENTRY_COLUMNS
from portal.libraries.services.search import Title, availability


@dataclass(frozen=True)
class StaffRow:
    """One entry of a library's catalogue as its staff see it."""

    entry_id: int
    isbn: str
    title: str
    author: str
    publisher: str
    year: int | None
    copies: int
    available: int
    waiting: int

    @property
    def out(self) -> int:
        """Copies lent or set aside for a hold."""
        return self.copies - self.available

    @property
    def isbn_display(self) -> str:
        return format_isbn13(self.isbn)

    @classmethod
    def of(cls, found: Title) -> StaffRow:
        """A search result within one library (one holding)."""
        h = found.holdings[0]
        return cls(
            h.entry_id,
            found.isbn,
            found.title,
            found.author,
            found.publisher,
            found.year,
            h.copies,
            h.available,
            h.waiting,
        )


def catalogue_entries(library_id: int, *, page: int = 1, per_page: int = 50) -> tuple[list[StaffRow], int]:
    """A page of a library's catalogue, the latest entries first, and how many entries it has."""
    total = db.session.scalar(select(func.count(LibraryBook.id)).where(LibraryBook.library_id == library_id)) or 0
    rows = db.session.execute(
        select(*ENTRY_COLUMNS)
        .where(LibraryBook.library_id == library_id)
        .order_by(LibraryBook.id.desc())
        .limit(per_page)
        .offset((max(1, page) - 1) * per_page)
    ).all()
    counts = availability([r.id for r in rows])
    return [
        StaffRow(r.id, r.isbn, r.title, r.author, r.publisher, r.year, *counts.get(r.id, (0, 0, 0))) for r in rows
    ], total

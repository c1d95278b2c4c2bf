"""A library's catalogue entries (one title it holds, with its copies): saved with their pool of
copies (``core.capacity``) and their one- and two-character index, in one place for the importer,
the staff forms and the demo."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from portal.core import capacity
from portal.extensions import db
from portal.libraries.models import LibraryBook, LibraryBookGram

GRAM_FIELDS = {"title": "t", "author": "a", "publisher": "p"}
# What a catalogue entry says of its title, read together by the search, the import and the staff's list.
ENTRY_COLUMNS = (
    LibraryBook.id,
    LibraryBook.isbn,
    LibraryBook.title,
    LibraryBook.author,
    LibraryBook.publisher,
    LibraryBook.year,
    LibraryBook.clc,
)


def grams_of(text: str) -> set[str]:
    """Every one- and two-character piece of ``text`` (lower-cased) made of letters and digits:
    what a one- or two-character search can match. Pieces never span a space or punctuation."""
    grams = set()
    for word in words_of(text.lower()):
        grams.update(word)
        grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def words_of(text: str) -> list[str]:
    words, current = [], []
    for ch in text:
        if ch.isalnum():
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def gram_rows(book_id: int, title: str, author: str, publisher: str) -> list[dict]:
    rows = []
    for field, text in (("t", title), ("a", author), ("p", publisher)):
        rows.extend({"gram": g, "field": field, "book_id": book_id} for g in grams_of(text or ""))
    return rows


@dataclass(frozen=True)
class EntryData:
    isbn: str  # 13 digits, already checked (isbn.parse_isbn)
    title: str
    author: str = ""
    publisher: str = ""
    year: int | None = None
    clc: str = ""
    copies: int = 1


def pool_key(library_id: int, isbn: str) -> str:
    return f"book:{library_id}:{isbn}"


@dataclass(frozen=True)
class Saved:
    entry: LibraryBook
    created: bool
    promoted: list[capacity.Place]  # holds in line that got one of the added copies


def save_entry(library_id: int, data: EntryData) -> Saved:
    """Add the title to the library's catalogue, or update the entry with the same ISBN there.
    Fewer copies than are lent or set aside: ``Conflict``; added copies go at once to the first
    holds in line (``Saved.promoted``: the caller hands them to ``holds.allocate_promoted``)."""
    entry = db.session.scalar(
        select(LibraryBook).where(LibraryBook.library_id == library_id, LibraryBook.isbn == data.isbn)
    )
    created = entry is None
    if created:
        pool_id = capacity.ensure_pool(pool_key(library_id, data.isbn), data.copies)
        entry = LibraryBook(library_id=library_id, isbn=data.isbn, pool_id=pool_id, copies=data.copies)
        db.session.add(entry)
    text_changed = created or (entry.title, entry.author, entry.publisher) != (
        data.title,
        data.author,
        data.publisher,
    )
    entry.title, entry.author, entry.publisher = data.title, data.author, data.publisher
    entry.year, entry.clc = data.year, data.clc
    promoted = []
    if not created and entry.copies != data.copies:
        promoted = capacity.set_capacity(entry.pool_id, data.copies)  # Conflict below what is taken
        entry.copies = data.copies
    db.session.flush()
    if text_changed:
        if not created:
            db.session.execute(delete(LibraryBookGram).where(LibraryBookGram.book_id == entry.id))
        rows = gram_rows(entry.id, entry.title, entry.author, entry.publisher)
        if rows:
            db.session.execute(insert(LibraryBookGram), rows)
    return Saved(entry, created, promoted)

"""Catalogue search: one result per title (ISBN), with every library that holds it and how many
copies are on the shelf there.

How a query is served — each kind by an index, never by reading the whole catalogue:

* an ISBN (13 or 10 digits, hyphens and spaces allowed, check digit right) → the ISBN index;
  with ``field="isbn"`` a few leading digits → a range of the same index;
* three characters or more → SQLite's FTS5 trigram table ``library_book_fts`` (a phrase, so a
  substring); on PostgreSQL the gram walk — ``library_book_grams`` read in id order for the
  query's two-character pieces, the text checked with ``ILIKE`` — and, when the walk was cut
  before it found a page's worth, the pg_trgm GIN indexes (a GIN index yields its matches as a
  bitmap, all of them before the first: slow for a common word, fast for a rare one);
* one or two characters (trigrams need three) → ``library_book_grams``, every one- and
  two-character piece of each title, author and publisher.

The database only finds candidates — at most ``CANDIDATES`` catalogue entries, the first by id,
through the statements of ``search_queries``, each read with its library and copies in one
statement — and Python checks each against the query (a substring, case folded) and ranks them,
so SQLite and PostgreSQL give the same results in the same order: the exact ISBN first, then
titles equal to the query, titles starting with it, titles containing it, authors, publishers;
then the shorter title, then the older entry.

The staff's page of a library's catalogue (its rows, with copies out and holds waiting) is
``catalogue_list``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil

from sqlalchemy import Integer, String, bindparam, select

from portal.core.capacity import CapacityPool, waiting_count
from portal.core.i18n import lazy_gettext as _l
from portal.core.isbn import format_isbn13, parse_isbn
from portal.core.validators import InvalidInput, clean_line, fold_fullwidth
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook
from portal.libraries.services import search_queries as queries

FIELDS = ("all", "title", "author", "isbn")
MAX_QUERY = 50  # characters of a query that count; the rest is ignored
CANDIDATES = 100  # catalogue entries read for one query, at most (the first by id)
PER_PAGE = 20
MAX_PER_PAGE = 100
# Where each field's words are: FTS5 columns, gram fields, ranking tiers.

_ISBN_SHAPE = re.compile(r"(?:ISBN(?:1[03])?[:：]?)?([0-9]{13}|[0-9]{9}[0-9X])")
_ISBN_NOISE = re.compile(r"[\s\-‐‑‒–—−－]")

TIER_ISBN, TIER_TITLE_EQUALS, TIER_TITLE_STARTS, TIER_TITLE_CONTAINS, TIER_AUTHOR, TIER_PUBLISHER = range(6)


@dataclass(frozen=True)
class Holding:
    """One library's copies of a title."""

    entry_id: int
    library_id: int
    library_name: str
    copies: int
    available: int  # on the shelf: copies less those lent or set aside for a hold
    waiting: int  # holds in line for a copy


@dataclass(frozen=True)
class Title:
    isbn: str
    title: str
    author: str
    publisher: str
    year: int | None
    clc: str
    holdings: tuple[Holding, ...]

    @property
    def isbn_display(self) -> str:
        return format_isbn13(self.isbn)

    @property
    def copies(self) -> int:
        return sum(h.copies for h in self.holdings)

    @property
    def available(self) -> int:
        return sum(h.available for h in self.holdings)


@dataclass
class Results:
    """A page of titles. ``kind`` says how the query was read: "none" (nothing to search for),
    "isbn", "isbn_prefix", "words" (three characters or more) or "short" (one or two)."""

    query: str
    field: str
    kind: str
    items: list[Title] = field(default_factory=list)
    total: int = 0  # titles found (among the first CANDIDATES entries when ``capped``)
    capped: bool = False  # more entries matched than were read: "more than ``total``"
    page: int = 1
    per_page: int = PER_PAGE
    notice: object = None  # a hint about the query (lazy message), shown above the results

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# --- Reading the query ---------------------------------------------------------------------------


def normalise_query(query: str | None) -> str:
    return clean_line(query or "")[:MAX_QUERY].strip()


def isbn_of_query(query: str) -> str | None:
    """The query as an ISBN-13 when it is shaped like an ISBN (hyphens, spaces, full-width digits
    and an "ISBN" in front allowed); None when it is not ISBN-shaped. A wrong check digit raises
    ``InvalidInput``."""
    compact = _ISBN_NOISE.sub("", fold_fullwidth(query)).upper()
    if not _ISBN_SHAPE.fullmatch(compact):
        return None
    return parse_isbn(query)


def _isbn_prefix(query: str) -> str | None:
    digits = _ISBN_NOISE.sub("", fold_fullwidth(query))
    return digits if re.fullmatch(r"[0-9]{3,12}", digits) else None


def candidate_statements(kind: str, value: str, field_name: str, *, library_ids=None, active_only=True) -> list:
    """[(plan, SELECT with its values bound), …]: the statements a query runs in turn (the
    query-plan tests)."""
    found = queries.statements(kind, value, field_name, library_ids, active_only, CANDIDATES)
    return [(plan, stmt.params(**params)) for plan, stmt, params in found]


# --- Ranking ------------------------------------------------------------------------------------


def _tier(row, kind: str, needle: str, field_name: str) -> int | None:
    """Where an entry ranks for the query, or None when it does not match after all (the database
    finds candidates; this decides, the same way on every database)."""
    if kind in ("isbn", "isbn_prefix"):
        return TIER_ISBN
    title = row.title.lower()
    if field_name in ("all", "title"):
        if title == needle:
            return TIER_TITLE_EQUALS
        if title.startswith(needle):
            return TIER_TITLE_STARTS
        if needle in title:
            return TIER_TITLE_CONTAINS
    if field_name in ("all", "author") and needle in row.author.lower():
        return TIER_AUTHOR
    if field_name == "all" and needle in row.publisher.lower():
        return TIER_PUBLISHER
    return None


def search(
    query: str | None,
    *,
    field: str = "all",  # noqa: A002 - the name the page's form uses
    library_ids=None,
    page: int = 1,
    per_page: int = PER_PAGE,
    active_only: bool = True,
) -> Results:
    """Titles matching ``query`` in ``field`` ("all", "title", "author", "isbn"), in the libraries
    ``library_ids`` (None: every library; only active ones unless ``active_only`` is False), one
    per ISBN with each library's copies, ranked, one page of ``per_page``."""
    field_name = field if field in FIELDS else "all"
    query = normalise_query(query)
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    results = Results(query=query, field=field_name, kind="none", page=page, per_page=per_page)
    if not query:
        return results
    kind, value = _read_query(query, field_name, results)
    if kind == "none":
        return results
    results.kind = kind
    rows = queries.candidates(kind, value, field_name, library_ids, active_only, CANDIDATES)
    results.capped = len(rows) >= CANDIDATES
    needle = query.lower()
    groups: dict[str, list] = {}
    best: dict[str, tuple] = {}
    seen: set[int] = set()
    for row in rows:
        if row.id in seen:  # the short index gives an entry once per field holding the piece
            continue
        seen.add(row.id)
        tier = _tier(row, kind, needle, field_name)
        if tier is None:
            continue
        key = (tier, len(row.title), row.id)
        groups.setdefault(row.isbn, []).append(row)
        if row.isbn not in best or key < best[row.isbn]:
            best[row.isbn] = key
    ordered = sorted(groups, key=lambda isbn: best[isbn])
    results.total = len(ordered)
    shown = ordered[(page - 1) * per_page : page * per_page]
    for isbn in shown:
        members = groups[isbn]
        lead = next(r for r in members if r.id == best[isbn][2])
        results.items.append(_title(lead, members))
    return results


def _read_query(query: str, field_name: str, results: Results) -> tuple[str, str]:
    if field_name in ("all", "isbn"):
        try:
            isbn = isbn_of_query(query)
        except InvalidInput as exc:
            isbn, results.notice = None, exc.message
            if field_name == "isbn":
                return "none", ""
        if isbn is not None:
            return "isbn", isbn
    if field_name == "isbn":
        prefix = _isbn_prefix(query)
        if prefix is None:
            results.notice = _l("Type an ISBN: 13 digits (or 10), or at least its first 3 digits.")
            return "none", ""
        return "isbn_prefix", prefix
    if len(query) >= 3:
        return "words", query
    gram = queries.short_gram(query)
    if gram is None:
        results.notice = _l("Type at least one letter or digit.")
        return "none", ""
    return "short", gram


def _title(lead, members) -> Title:
    """The title as its best-ranked entry gives it; the libraries with a copy on the shelf first.
    ``members``: its entries, as ``search_queries.Candidate``."""
    holdings = [Holding(r.id, r.library_id, r.name, r.copies, r.available, r.waiting) for r in members]
    holdings.sort(key=lambda h: (h.available == 0, h.library_id))
    return Title(lead.isbn, lead.title, lead.author, lead.publisher, lead.year, lead.clc, tuple(holdings))


# --- One title, availability ---------------------------------------------------------------------


def title_holdings(isbn: str) -> Title | None:
    """The title with this ISBN (13 digits) and every active library that holds it, or None."""
    rows = queries.read(_title_statement(), {"isbn": isbn})
    if not rows:
        return None
    return _title(rows[0], rows)


@lru_cache(maxsize=1)
def _title_statement():
    isbn = bindparam("isbn", type_=String)
    return queries.base(False, True).where(LibraryBook.isbn == isbn).order_by(LibraryBook.id).limit(CANDIDATES)


@lru_cache(maxsize=1)
def _availability_statement():
    return (
        select(LibraryBook.id, LibraryBook.copies, CapacityPool.taken, waiting_count(LibraryBook.pool_id))
        .join(CapacityPool, CapacityPool.id == LibraryBook.pool_id)
        .where(LibraryBook.id.in_(bindparam("ids", expanding=True, type_=Integer)))
    )


def availability(entry_ids) -> dict[int, tuple[int, int, int]]:
    """entry id → (copies, available, waiting): available are the copies neither lent nor set
    aside for a hold (the entry's pool of copies), waiting the holds in line. One query (its shape
    built once). The staff's catalogue list uses it; search reads copies with its candidates."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    found = db.session.execute(_availability_statement(), {"ids": ids}).all()
    return {row[0]: (row[1], max(0, row[1] - row[2]), row[3]) for row in found}


# --- Pages' helpers ------------------------------------------------------------------------------

MAX_LIBRARY_CHOICES = 300


@lru_cache(maxsize=1)
def _choices_statement():
    return (
        select(Library.id, Library.name)
        .where(Library.is_active.is_(True))
        .order_by(Library.name, Library.id)
        .limit(MAX_LIBRARY_CHOICES)
    )


def library_choices() -> list[tuple[int, str]]:
    """(id, name) of the open libraries, by name: the search page's choice of one library."""
    return [(row[0], row[1]) for row in db.session.connection().execute(_choices_statement())]

"""The libraries' business rules, one module per use case:

* ``directory`` — the libraries: nearest search, open now, staff keeping them;
* ``slots`` and ``visits`` — visit slots from the opening hours, bookings, the waiting list,
  check-in, no-shows and suspensions;
* ``books``, ``catalogue_import`` and ``search`` — catalogue entries, the CSV/.xlsx import, search;
* ``holds`` and ``loans`` — reservations queued per title and library, the desk's lending,
  returns, renewals and reminders.

Other domains and the views use the modules: ``services.visits.book(…)``.
"""

from portal.libraries.services import (
    books,
    catalogue_import,
    directory,
    holds,
    loans,
    search,
    slots,
    visits,
)

__all__ = ["books", "catalogue_import", "directory", "holds", "loans", "search", "slots", "visits"]


def register(app) -> None:
    """Message templates and timed jobs of the libraries (called from ``init_app``)."""
    visits.register(app)
    holds.register(app)
    loans.register(app)

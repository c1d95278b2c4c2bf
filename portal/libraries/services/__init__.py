"""The libraries' business rules, one module per use case:

* ``directory`` — the libraries: nearest search, open now, staff keeping them;
* ``slots`` — visit slots cut from the opening hours;
* ``visits`` — booking a slot, the waiting list, cancelling, one's visits;
* ``visit_desk`` — the QR code, check-in at the desk and the staff's day board;
* ``visit_jobs`` — the jobs runner's no-shows, lapses and suspensions;
* ``visit_lists`` — a person's visits as their pages list them;
* ``books`` — catalogue entries with their pool of copies and their short-text index;
* ``catalogue_files`` — reading and checking a CSV/.xlsx catalogue file (header, rows);
* ``catalogue_import`` — importing a checked file: matching within the library, writing, the summary;
* ``search`` — catalogue search, one result per title (``search_queries``: the statements that
  find the candidates through an index, per database);
* ``catalogue_list`` — a library's catalogue as its staff list it;
* ``holds`` — reservations queued per title and library: the member's side and their expiry;
* ``hold_board`` — the staff's board of holds and marking a copy ready;
* ``loans`` — the desk's lending, returns, renewals and the overdue list; ``loan_reminders`` —
  reminders before and on the due date (jobs runner).

Other domains and the views use the modules: ``services.visits.book(…)``.
"""

from portal.libraries.services import (
    books,
    catalogue_files,
    catalogue_import,
    catalogue_list,
    directory,
    hold_board,
    holds,
    loan_reminders,
    loans,
    search,
    search_queries,
    slots,
    visit_desk,
    visit_jobs,
    visit_lists,
    visits,
)

__all__ = [
    "books",
    "catalogue_files",
    "catalogue_import",
    "catalogue_list",
    "directory",
    "hold_board",
    "holds",
    "loan_reminders",
    "loans",
    "search",
    "search_queries",
    "slots",
    "visit_desk",
    "visit_jobs",
    "visit_lists",
    "visits",
]


def register(app) -> None:
    """Message templates and timed jobs of the libraries (called from ``init_app``)."""
    visits.register(app)
    visit_jobs.register(app)
    holds.register(app)
    loans.register(app)
    loan_reminders.register(app)

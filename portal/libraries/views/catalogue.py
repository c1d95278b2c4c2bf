"""The catalogue's pages: search (public: every library or one, by title, author or ISBN), one
title with every library holding it, and for staff a library's catalogue with its import."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from markupsafe import Markup

from portal.core.errors import DomainError
from portal.core.exports import csv_response
from portal.core.forms import PortalForm, form_view, render_form
from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import ngettext
from portal.core.isbn import parse_isbn
from portal.core.scope import require_role
from portal.core.validators import InvalidInput
from portal.core.web import arg_int, commit_action, page_arg
from portal.libraries.services import catalogue_files, catalogue_import, catalogue_list, directory, search
from portal.libraries.views.blueprint import bp, staff_bp

staff_only = require_role("staff", "admin")
STAFF_PER_PAGE = 50


def field_choices() -> list[tuple[str, str]]:
    return [("all", _("All")), ("title", _("Title")), ("author", _("Author")), ("isbn", _("ISBN"))]


class Pills:
    """A holding's availability pill (在架 2/3, 全部借出，2人排队 …) as HTML, each distinct one
    written and translated once per page: a page of 20 titles repeats a few."""

    def __init__(self):
        self._made: dict[tuple[int, int, int], Markup] = {}

    def __call__(self, h) -> Markup:
        key = (h.copies, h.available, h.waiting)
        if key not in self._made:
            if h.copies == 0:
                css, text = "is-closed", _("No copies at the moment")
            elif h.available > 0:
                css, text = (
                    "is-open",
                    _("On the shelf %(available)d/%(copies)d", available=h.available, copies=h.copies),
                )
            elif h.waiting:
                css, text = (
                    "is-suspended",
                    ngettext("All lent out, %(num)d waiting", "All lent out, %(num)d waiting", h.waiting),
                )
            else:
                css, text = "is-suspended", _("All lent out")
            self._made[key] = Markup('<span class="status-pill %s">%s</span>') % (css, text)
        return self._made[key]


def book_meta(t) -> str:
    return " · ".join(str(part) for part in (t.author, t.publisher, t.year) if part)


@dataclass(frozen=True)
class ResultRow:
    """One title of the results as the page shows it, made in Python: the page's template only
    prints it (a function called from a template costs a few microseconds; 20 titles called
    four of them each)."""

    href: str
    title: str
    meta: str
    holdings: list[tuple[str, Markup]]  # (library name, availability pill)


def result_rows(results) -> list[ResultRow]:
    title_url = url_for("libraries.title", isbn="0").removesuffix("0")
    pill = Pills()
    return [
        ResultRow(title_url + t.isbn, t.title, book_meta(t), [(h.library_name, pill(h)) for h in t.holdings])
        for t in results.items
    ]


@bp.route("/search", endpoint="search")
def search_page():
    """Search every library's catalogue, or one library's: works as a plain GET form."""
    query = request.args.get("q", "")
    field = request.args.get("field", "all")
    library_id = arg_int("library", None)
    libraries = search.library_choices()
    if library_id is not None and library_id not in {lib_id for lib_id, _name in libraries}:
        library_id = None  # not an open library: search them all
    results = search.search(
        query,
        field=field,
        library_ids=[library_id] if library_id is not None else None,
        page=page_arg(),
    )
    return render_template(
        "libraries/search.html",
        title=_("Search books"),
        results=results,
        fields=field_choices(),
        libraries=libraries,
        library_id=library_id,
        rows=result_rows(results),
    )


@bp.route("/titles/<isbn>")
def title(isbn: str):
    """One title: its details and every library that holds it, with the copies on the shelf."""
    try:
        number = parse_isbn(isbn[:40])
    except InvalidInput:
        abort(404)
    if number != isbn:  # 978-7-…, an ISBN-10: the one address of the title
        return redirect(url_for("libraries.title", isbn=number), code=301)
    found = search.title_holdings(number)
    if found is None:
        abort(404)
    return render_template(
        "libraries/title.html",
        title=found.title,
        book=found,
        can_reserve="libraries.reserve" in current_app.view_functions,
        pill=Pills(),
    )


# --- Staff -------------------------------------------------------------------------------------


class CatalogueImportForm(PortalForm):
    file = FileField(
        _l("Catalogue file (CSV or .xlsx)"),
        validators=[
            FileRequired(_l("Please choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Please choose a .csv or .xlsx file.")),
        ],
    )


@staff_bp.route("/<int:library_id>/catalogue")
@staff_only
def catalogue(library_id: int):
    """A library's catalogue for its staff: each title with its copies, those out and the line."""
    library = directory.library_in_scope(current_user, library_id)
    query = search.normalise_query(request.args.get("q", ""))
    page = page_arg()
    if query:
        results = search.search(query, library_ids=[library.id], page=page, per_page=STAFF_PER_PAGE, active_only=False)
        rows = [catalogue_list.StaffRow.of(t) for t in results.items]
        pagination = results
    else:
        rows, total = catalogue_list.catalogue_entries(library.id, page=page, per_page=STAFF_PER_PAGE)
        pagination = search.Results(query="", field="all", kind="list", total=total, page=page, per_page=STAFF_PER_PAGE)
        results = None
    return render_template(
        "libraries/catalogue.html",
        title=_("Catalogue"),
        library=library,
        query=query,
        rows=rows,
        results=results,
        pagination=pagination,
        back=url_for("libraries_staff.manage") if "libraries_staff.manage" in current_app.view_functions else None,
    )


@staff_bp.route("/<int:library_id>/catalogue/import", methods=["GET", "POST"])
@staff_only
@form_view
def catalogue_upload(library_id: int):
    """Import the catalogue from CSV or .xlsx: all or nothing, errors by row and column."""
    library = directory.library_in_scope(current_user, library_id)
    form = CatalogueImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            done = commit_action(
                lambda: catalogue_import.import_catalogue(current_user, library.id, upload, upload.filename or "")
            )
        except catalogue_import.ImportRefused as exc:
            result = exc.result
        except DomainError as exc:
            form.add_error(exc)
        else:
            flash(
                _(
                    "Catalogue imported: %(added)d added, %(updated)d updated, %(unchanged)d unchanged.",
                    added=done.added,
                    updated=done.updated,
                    unchanged=done.unchanged,
                ),
                "success",
            )
            return redirect(url_for("libraries_staff.catalogue", library_id=library.id), code=303)
    page, status = render_form(
        "libraries/catalogue_import.html",
        form,
        title=_("Import the catalogue"),
        library=library,
        result=result,
        columns=catalogue_files.SAMPLE_HEADER,
        max_rows=catalogue_files.MAX_ROWS,
    )
    return page, (422 if result is not None else status)


@staff_bp.route("/catalogue-sample.csv")
@staff_only
def catalogue_sample():
    """A CSV with the expected columns and two rows, to fill in and import."""
    return csv_response("catalogue-sample.csv", catalogue_files.SAMPLE_HEADER, catalogue_files.SAMPLE_ROWS)

"""Staff keeping their libraries: the list of their subtree's libraries, a library's desk menu,
adding and editing, closure days and partner rest stations."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.db import utcnow
from portal.core.forms import ConfirmForm, choices, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.time import local_today
from portal.core.validators import parse_int
from portal.core.web import commit_action
from portal.libraries.forms import ClosureForm, LibraryForm, PartnersForm
from portal.libraries.services import directory
from portal.libraries.views.blueprint import staff_bp
from portal.stations import services as stations
from portal.unions import services as unions

staff_only = require_role("staff", "admin")


def _library(library_id: int):
    if not 0 < library_id <= directory.MAX_ID:
        abort(404)
    return directory.library_in_scope(current_user, library_id)


@staff_bp.route("")
@staff_only
def manage():
    query = (request.args.get("q") or "")[:30]
    return render_template(
        "libraries/staff_list.html",
        title=_("Worker libraries"),
        libraries=directory.staff_libraries(current_user, query=query),
        q=query,
    )


@staff_bp.route("/<int:library_id>")
@staff_only
def library_menu(library_id: int):
    library = _library(library_id)
    links = [
        (endpoint, label, icon)
        for endpoint, label, icon in (
            ("libraries_staff.checkin", _("Check visitors in"), "join"),
            ("libraries_staff.visits", _("Visits by day"), "clock"),
            ("libraries_staff.desk", _("Lend and return"), "book"),
            ("libraries_staff.holds", _("Reservations to prepare"), "inbox"),
            ("libraries_staff.overdue", _("Overdue loans"), "alert"),
            ("libraries_staff.catalogue", _("Catalogue"), "doc"),
            ("libraries_staff.catalogue_import", _("Import the catalogue"), "doc"),
            ("libraries_staff.edit", _("Details, hours and places"), "desk"),
            ("libraries_staff.closures", _("Closure days"), "clock"),
            ("libraries_staff.partners", _("Partner rest stations"), "station"),
        )
        if endpoint in current_app.view_functions
    ]
    return render_template("libraries/staff_menu.html", title=library.name, library=library, links=links)


def _library_form(library):
    form = LibraryForm(obj=library if request.method == "GET" and library else None)
    form.union_code.choices = choices(
        (u.code, "\u3000" * max(u.depth - 1, 0) + u.name) for u in unions.unions_in_scope(current_user)
    )
    if request.method == "GET":
        if library is not None:
            form.union_code.data = library.union.code
            form.lat.data, form.lng.data = f"{library.lat:.6f}", f"{library.lng:.6f}"
            form.slot_minutes.data, form.places_per_slot.data = str(library.slot_minutes), str(library.places_per_slot)
        elif current_user.role == "staff":
            form.union_code.data = current_user.union.code
    return form


@staff_bp.route("/new", methods=["GET", "POST"])
@staff_only
@form_view
def new():
    form = _library_form(None)
    if form.validate_on_submit():
        library = save_form(form, lambda: directory.create_library(current_user, form.data_for_service()))
        if library:
            flash(_("The library has been added."), "success")
            return redirect(url_for("libraries_staff.library_menu", library_id=library.id), code=303)
    return render_form("libraries/staff_form.html", form, title=_("New library"), library=None)


@staff_bp.route("/<int:library_id>/edit", methods=["GET", "POST"])
@staff_only
@form_view
def edit(library_id: int):
    library = _library(library_id)
    form = _library_form(library)
    if form.validate_on_submit() and save_form(
        form, lambda: directory.update_library(current_user, library, form.data_for_service())
    ):
        flash(_("The library has been saved."), "success")
        return redirect(url_for("libraries_staff.library_menu", library_id=library.id), code=303)
    return render_form("libraries/staff_form.html", form, title=_("Edit library"), library=library)


@staff_bp.route("/<int:library_id>/closures", methods=["GET", "POST"])
@staff_only
@form_view
def closures(library_id: int):
    library = _library(library_id)
    today = local_today(utcnow())
    form = ClosureForm()
    if form.validate_on_submit() and save_form(
        form, lambda: directory.add_closure(current_user, library, form.day.data, form.reason.data or "", today=today)
    ):
        flash(_("The library is closed on %(day)s.", day=form.day.data.isoformat()), "success")
        return redirect(url_for("libraries_staff.closures", library_id=library.id), code=303)
    return render_form(
        "libraries/staff_closures.html",
        form,
        title=_("Closure days"),
        library=library,
        closures=directory.upcoming_closures(library.id, today, limit=100),
        remove_form=ConfirmForm(),
    )


@staff_bp.route("/<int:library_id>/closures/<int:closure_id>/remove", methods=["POST"])
@staff_only
def remove_closure(library_id: int, closure_id: int):
    """A button (the global CSRF check guards it), confirmed in the browser before it is sent."""
    library = _library(library_id)
    if commit_action(lambda: directory.remove_closure(current_user, library, closure_id)):
        flash(_("The closure day has been removed."), "info")
    return redirect(url_for("libraries_staff.closures", library_id=library.id), code=303)


@staff_bp.route("/<int:library_id>/partners", methods=["GET", "POST"])
@staff_only
@form_view
def partners(library_id: int):
    library = _library(library_id)
    form = PartnersForm()
    options = stations.in_scope_for_choice(current_user)
    form.stations.choices = choices((str(s.id), f"{s.name} · {s.address}") for s in options)
    if request.method == "GET":
        form.stations.data = [str(s.id) for s in directory.partner_stations(library.id)]

    def save():
        ids = [parse_int(v, low=1, high=directory.MAX_ID, field="stations") for v in form.stations.data or []]
        return directory.set_partner_stations(current_user, library, ids) or True

    if form.validate_on_submit() and save_form(form, save):
        flash(_("The partner rest stations have been saved."), "success")
        return redirect(url_for("libraries_staff.library_menu", library_id=library.id), code=303)
    return render_form("libraries/staff_partners.html", form, title=_("Partner rest stations"), library=library)

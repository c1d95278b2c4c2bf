"""The staff workspace (工作台): one review queue over every kind of application, posters.

Everything here is loaded through the reviewer's scope: an application or a union
outside the staff member's subtree is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms.widgets import Select, html_params

from portal.core import registry, scope, workflow
from portal.core.errors import DomainError
from portal.core.forms import choices, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.i18n import ngettext
from portal.core.scope import require_role
from portal.core.web import commit_action, is_safe_redirect, page_arg, write_during_read
from portal.extensions import db
from portal.staff import filters, services
from portal.staff.forms import CalendarDayForm, DecisionForm, QueueFilterForm
from portal.unions import services as unions
from portal.unions.models import Union

bp = Blueprint("staff", __name__, url_prefix="/staff")
staff_only = require_role("staff", "admin")


def _home_union():
    return current_user.union if current_user.role == "staff" else unions.root()


@bp.route("")
@staff_only
def dashboard():
    union = _home_union()
    context = {"union": union, "pending": workflow.pending_counts(current_user), "kinds": workflow.KINDS}
    links = registry.staff_links(current_user)
    context["staff_links"] = links
    context["link_counts"] = {link.key: link.count(current_user) for link in links if link.count}
    if union is not None:
        context.update(
            union_path=unions.full_name(union) or union.name,
            children=unions.children(union),
            subtree_size=unions.subtree_size(union),
        )
    return render_template("staff/dashboard.html", title=_("Staff workspace"), **context)


# --- The review queue ------------------------------------------------------------------------------


class _PlainSelect(Select):
    """WTForms' ``Select`` for plain options (the queue's filters), writing the same HTML.

    The union picker lists every union in the reviewer's scope: 560 for a province admin in
    bench/staff_queue.py. WTForms makes and normalises several objects per option and sorts each
    option's attributes; this writes each option at once: the admin's filter form took about
    8 ms to render, now 1.4 (docs/performance.md). Grouped options or options with attributes
    are left to WTForms."""

    def __call__(self, field, **kwargs):
        if field.has_groups() or any(c.render_kw for c in field.choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for choice in field.choices:
            value, label = escape(choice.value), escape(choice.label or choice.value)
            selected = " selected" if field.coerce(choice.value) == field.data else ""
            html.append(f'<option{selected} value="{value}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (values and labels escaped above, attributes by html_params)


_PLAIN_SELECT = _PlainSelect()


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.status.choices = choices(filters.status_choices())
    form.kind.choices = choices([("", _("All kinds"))] + filters.kind_choices())
    form.stage.choices = choices([("", _("All stages"))] + filters.stage_choices())
    # The unions in scope as plain rows, not ORM objects (a province admin's are hundreds).
    in_scope = scope.scoped(select(Union.code, Union.name, Union.depth), current_user, Union.id)
    in_scope = in_scope.where(Union.level.in_(("city", "county", "grassroots"))).order_by(Union.path)
    form.union.choices = choices(
        [("", _("All unions in my scope"))]
        + [(code, "\u3000" * max(depth - 3, 0) + name) for code, name, depth in db.session.execute(in_scope)]
    )
    for select_field in (form.status, form.kind, form.stage, form.union):
        select_field.widget = _PLAIN_SELECT
    if not request.args.get("status"):
        form.status.data = "awaiting"
    if request.args:
        form.validate()  # a bad date is shown as an error (the queue leaves it out)
    return form


@bp.route("/reviews")
@staff_only
def reviews():
    """The queue: a search box, the filters in force as chips, the list. Filters are set on
    ``reviews_filter``; the queue reads its query string without building that form."""
    read = filters.read(request.args)
    reviewer = current_user._get_current_object()  # noqa: SLF001 (once, not through the proxy at every use)
    pending = workflow.pending_counts(reviewer)
    pagination = workflow.queue(reviewer, read.filters, page=page_arg(), pending=pending)
    union = unions.find_by_code(read.filters.union_code)  # the chip's label (None: no union filter)
    marker = "PUBLICID"  # one url_for for every row's link (measurable on a page of 20)
    review_url = url_for("staff.review", public_id=marker).replace(marker, "{}").format
    return render_template(
        "staff/reviews.html",
        tickable={a.id for a in pagination.items if services.may_bulk_approve(a, reviewer)},
        title=_("Reviews"),
        read=read,
        chips=filters.chips(read, union.name if union else None),
        pagination=pagination,
        pending=pending,
        kinds=workflow.KINDS,
        review_url=review_url,
    )


@bp.route("/reviews/filter")
@staff_only
def reviews_filter():
    """Every filter of the queue on one page (a phone's pattern): it sends a GET back to the queue."""
    return render_template("staff/reviews_filter.html", title=_("Filter applications"), form=_filter_form())


def review_page(application, *, form=None, revealed=None, status=200, **extra):
    """The staff page of one application. A kind's own staff forms (aid's home visit …) render it
    with their form in ``extra`` when it needs correcting, so nothing typed is lost."""
    # Opening the page marks the review started (审核中) — a GET, never a refused POST (a forged
    # or failed form must change nothing).
    if request.method == "GET" and application.awaiting_review and application.review_started_at is None:
        write_during_read(lambda: workflow.mark_review_started(application, current_user))
    form = form or DecisionForm()
    form.reason.choices = choices(
        [("", _("— choose a common reason, or write one below —"))]
        + [(str(r), r) for r in workflow.COMMON_REJECT_REASONS]
    )
    timeline = workflow.timeline(application, for_staff=True)
    return render_template(
        "staff/review_detail.html",
        title=_("Application of %(name)s", name=application.applicant.name),
        application=application,
        kind=application.kind_spec,
        union_path=unions.full_name(application.union),
        timeline=timeline,
        reply=workflow.latest_reply(application, timeline),
        history=workflow.history_for(application.applicant_id, current_user, exclude_id=application.id),
        form=form,
        **{**application.kind_spec.detail_context(application), **extra},
        revealed=revealed,
        actions=workflow.allowed_actions(application, current_user) & workflow.REVIEWER_ACTIONS,
        next_stage=application.kind_spec.next_stage(application.current_stage) if application.current_stage else None,
    ), status


@bp.route("/reviews/<public_id>")
@staff_only
def review(public_id: str):
    return review_page(workflow.load_for_reviewer(public_id, current_user))


# Decisions that ask "are you sure?" first: with JavaScript the button's data-confirm dialog
# answers it (and says so with confirmed=yes); without, a page of its own does.
CONFIRMED_DECISIONS = {"reject"}


@bp.route("/reviews/<public_id>/decide", methods=["POST"])
@staff_only
def decide(public_id: str):
    application = workflow.load_for_reviewer(public_id, current_user)
    form = DecisionForm()
    if not form.validate_on_submit():
        return review_page(application, form=form, status=400 if form.csrf_failed else 422)
    if form.confirmed.data == "no":  # "change the reason": back to the form, the text kept
        return review_page(application, form=form)
    if form.decision.data in CONFIRMED_DECISIONS and form.confirmed.data != "yes":
        try:
            note = workflow.decision_note(form.decision.data, form.note_text())
        except DomainError as exc:
            form.add_error(exc)
            return review_page(application, form=form, status=exc.status_code)
        return render_template(
            "staff/confirm_decision.html",
            title=_("Reject this application?"),
            application=application,
            kind=application.kind_spec,
            note=note,
        )
    if save_form(form, lambda: workflow.decide(application, current_user, form.decision.data, form.note_text())):
        messages = {
            "approve": _("Approved. The applicant has been notified."),
            "reject": _("Rejected. The applicant has been told why."),
            "request_info": _("The applicant has been asked for more information."),
            "send_back": _("Sent back to the previous stage."),
        }
        flash(messages[form.decision.data], "success")
        return redirect(url_for("staff.reviews"), code=303)
    return review_page(application, form=form, status=400 if form.csrf_failed else (form.domain_status or 422))


@bp.route("/reviews/<public_id>/reveal-id", methods=["POST"])
@staff_only
def reveal_id(public_id: str):
    application = workflow.load_for_reviewer(public_id, current_user)
    revealed = commit_action(lambda: services.reveal_sensitive(application, current_user))  # its audit event
    return review_page(application, revealed=revealed)


def _queue_back() -> str:
    back = request.form.get("back") or ""
    return back if back.startswith("/staff/reviews") and is_safe_redirect(back) else url_for("staff.reviews")


@bp.route("/reviews/bulk-approve", methods=["POST"])
@staff_only
def bulk_approve():
    ids = [i for i in request.form.getlist("ids") if i][:100]
    if not ids:
        flash(_("Nothing was approved: tick the applications to approve first."), "error")
        return redirect(_queue_back(), code=303)
    if request.form.get("confirmed") != "yes":
        selected = services.load_selected(ids, current_user)
        if not selected:
            flash(_("None of the ticked applications can be approved any more."), "warning")
            return redirect(_queue_back(), code=303)
        return render_template(
            "staff/confirm_bulk.html",
            title=_("Approve these applications?"),
            selected=selected,
            back=_queue_back(),
        )
    result = commit_action(lambda: services.bulk_approve(ids, current_user))
    if result.approved:
        flash(
            ngettext("%(num)d application approved.", "%(num)d applications approved.", len(result.approved)), "success"
        )
    if result.skipped:
        flash(
            ngettext(
                "%(num)d application was skipped: it was already decided or is not yours to decide.",
                "%(num)d applications were skipped: they were already decided or are not yours to decide.",
                len(result.skipped),
            ),
            "warning",
        )
    return redirect(_queue_back(), code=303)


# --- The working-day calendar (admins) ------------------------------------------------------------


def _year_arg() -> int:
    from portal.core.time import local_today
    from portal.core.web import arg_int

    return arg_int("year", local_today().year, low=2000, high=2100)


@bp.route("/calendar", methods=["GET", "POST"])
@require_role("admin")
@form_view
def calendar():
    """Public holidays and make-up working days: 公示 and other timed steps count working days."""
    from portal.core import time as portal_time

    form = CalendarDayForm()
    year = _year_arg()
    if form.validate_on_submit() and save_form(
        form,
        lambda: portal_time.set_calendar_day(form.day.data, form.kind.data, form.name.data, actor=current_user),
    ):
        flash(_("The calendar was updated."), "success")
        return redirect(url_for("staff.calendar", year=form.day.data.year), code=303)
    return render_form(
        "staff/calendar.html", form, title=_("Working-day calendar"), year=year, days=portal_time.calendar_year(year)
    )


@bp.route("/calendar/<day>/delete", methods=["POST"])
@require_role("admin")
def calendar_remove(day: str):
    from datetime import date

    from portal.core import time as portal_time

    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not commit_action(lambda: portal_time.remove_calendar_day(when, actor=current_user)):
        abort(404)
    flash(_("The day is an ordinary day again."), "success")
    return redirect(url_for("staff.calendar", year=when.year), code=303)


# --- Join posters ----------------------------------------------------------------------------------------


@bp.route("/posters")
@staff_only
def posters():
    query = (request.args.get("q") or "").strip()[:30]
    grassroots = [u for u in unions.unions_in_scope(current_user, ("grassroots",)) if not query or query in u.name]
    return render_template(
        "staff/posters.html",
        title=_("Join posters"),
        unions=grassroots[:200],
        q=query,
        paths=unions.full_names(grassroots[:200]),
    )


@bp.route("/posters/<code>")
@staff_only
def poster(code: str):
    union = unions.find_by_code(code)
    if union is None or not union.accepts_members:
        abort(404)
    scope.load_in_scope(Union, union.id, current_user)  # 404 outside the staff member's subtree
    from portal.membership.views import public_url, qr_svg

    link = public_url("membership.join", code=union.code)
    return render_template(
        "staff/poster.html",
        title=_("Join poster"),
        union=union,
        link=link,
        qr=qr_svg(link, scale=8),
        union_path=unions.full_name(union),
    )

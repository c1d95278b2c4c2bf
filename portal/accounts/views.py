"""Sign-up, sign-in, the profile (我的) and the admin's account pages. Thin: services decide."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import services
from portal.accounts.forms import (
    PASSWORD_RULE,
    AccountCreateForm,
    AccountEditForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
)
from portal.accounts.models import ROLE_LABELS, User
from portal.core.forms import choices, form_view, render_form, save_form
from portal.core.i18n import gettext as _
from portal.core.scope import require_role
from portal.core.validators import InvalidInput, normalise_mobile
from portal.core.web import LARGE_TEXT_COOKIE, is_safe_redirect, page_arg
from portal.extensions import db, limiter
from portal.unions import services as unions

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")
me_bp = Blueprint("me", __name__, url_prefix="/me")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _phone_key() -> str:
    try:
        return "phone:" + normalise_mobile(request.form.get("phone"))
    except InvalidInput:
        return "phone-invalid:" + get_remote_address()


def _login_failed(response) -> bool:
    return response.status_code != 303


def _carry_text_size(user) -> None:
    """Large text chosen before signing in stays on after it (and is remembered on the account)."""
    if request.cookies.get(LARGE_TEXT_COOKIE) == "1" and not user.large_text:
        services.set_large_text(user, True)
        db.session.commit()


# --- Registration and login -------------------------------------------------------------------


@auth_bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"])
@form_view
def register():
    if current_user.is_authenticated:
        return redirect(url_for("me.profile"))
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = save_form(
            form,
            lambda: services.register(
                phone=form.phone.data,
                password=form.password.data,
                name=form.name.data,
                id_number=form.id_number.data or None,
            ),
        )
        if user:
            _carry_text_size(user)
            session.clear()
            login_user(user)
            flash(_("Welcome! Your account has been created."), "success")
            wanted = form.next.data or request.args.get("next")
            target = wanted if is_safe_redirect(wanted) else url_for("main.home")
            return redirect(target, code=303)
    page = make_response(
        render_form("accounts/register.html", form, title=_("Create an account"), password_rule=PASSWORD_RULE)
    )
    page.headers["Cache-Control"] = "no-store"  # it may hold the passwords typed (masked) after a mistake
    return page


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_PHONE"],
    key_func=_phone_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
@form_view
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.phone.data, form.password.data)
        if user is None:
            db.session.rollback()
            form.form_errors.append(_("The mobile number or password is not correct."))
        else:
            _carry_text_size(user)
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            wanted = form.next.data or request.args.get("next")
            target = wanted if is_safe_redirect(wanted) else url_for("main.home")
            return redirect(target, code=303)
    return render_form("accounts/login.html", form, title=_("Sign in"))


@auth_bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Every cookie issued so far carries the old token: copies of them stop working too.
        services.end_all_sessions(current_user)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the flag that makes Flask-Login delete the remember cookie
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"), code=303)


# --- My profile -------------------------------------------------------------------------------


@me_bp.route("")
@login_required
def profile():
    return render_template(
        "accounts/profile.html",
        title=_("Me"),
        user=current_user,
        union_path=unions.full_name(current_user.union) if current_user.union else None,
    )


@me_bp.route("/edit", methods=["GET", "POST"])
@login_required
@form_view
def edit_profile():
    form = ProfileForm(obj=None if request.method == "POST" else current_user)
    if request.method == "GET":
        form.id_number.data = ""
    if form.validate_on_submit() and save_form(
        form, lambda: services.update_profile(current_user, name=form.name.data, id_number=form.id_number.data or None)
    ):
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("me.profile"), code=303)
    # Real name and ID number locked by another domain (a member): shown, changed only by request.
    lock = services.identity_lock(current_user)
    return render_form("accounts/profile_edit.html", form, title=_("Edit profile"), user=current_user, lock=lock)


@me_bp.route("/password", methods=["GET", "POST"])
@login_required
@form_view
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit() and save_form(
        form, lambda: services.change_password(current_user, current=form.current_password.data, new=form.password.data)
    ):
        login_user(current_user._get_current_object())  # new session token: re-issue this session only
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("me.profile"), code=303)
    return render_form("accounts/password.html", form, title=_("Change password"), password_rule=PASSWORD_RULE)


# --- Admin: accounts --------------------------------------------------------------------------


def _union_choices():
    return choices([("", _("— none —"))] + unions.all_unions_for_choice())


@admin_bp.route("/users")
@require_role("admin")
def users():
    page = page_arg()
    query = request.args.get("q", "")[:50]
    role = request.args.get("role") or None
    pagination = services.search_accounts(query=query, role=role, page=page)
    return render_template(
        "accounts/admin_users.html",
        title=_("Accounts"),
        pagination=pagination,
        q=query,
        role=role,
        roles=ROLE_LABELS,
        counts=services.count_by_role(),
    )


@admin_bp.route("/users/new", methods=["GET", "POST"])
@require_role("admin")
@form_view
def new_user():
    form = AccountCreateForm()
    form.union_code.choices = _union_choices()
    if form.validate_on_submit():
        user = save_form(
            form,
            lambda: services.create_account(
                current_user,
                phone=form.phone.data,
                password=form.password.data,
                name=form.name.data,
                role=form.role.data,
                union_code=form.union_code.data or None,
            ),
        )
        if user:
            flash(_("The account for %(name)s has been created.", name=user.name), "success")
            return redirect(url_for("admin.users"), code=303)
    return render_form("accounts/admin_user_new.html", form, title=_("New account"), password_rule=PASSWORD_RULE)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role("admin")
@form_view
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AccountEditForm()
    form.union_code.choices = _union_choices()
    if request.method == "GET":
        form.role.data = user.role
        form.union_code.data = user.union.code if user.union else ""
        form.active.data = user.is_active

    def save():
        if form.new_password.data:  # first: its hashing must run before anything is written
            services.reset_password(current_user, user, form.new_password.data)
        services.update_account(
            current_user, user, role=form.role.data, union_code=form.union_code.data or None, active=form.active.data
        )

    if form.validate_on_submit() and save_form(form, save):
        flash(_("The account has been updated."), "success")
        return redirect(url_for("admin.users"), code=303)
    return render_form("accounts/admin_user_edit.html", form, title=_("Edit account"), user=user)

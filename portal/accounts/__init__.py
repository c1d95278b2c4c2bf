"""Accounts: registration, sign-in, profile, roles; the admin's account pages."""

import re

_USER_ID = re.compile(r"[0-9]{1,19}")


def init_app(app) -> None:
    from sqlalchemy.orm import joinedload, with_expression

    from portal.accounts import demo, models
    from portal.accounts.cli import users_cli
    from portal.accounts.views import admin_bp, auth_bp, me_bp
    from portal.core.demo import register_seeder
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.notify import message_template, unread_count_of
    from portal.core.web import MAX_DB_INTEGER
    from portal.extensions import db, login_manager

    app.register_blueprint(auth_bp)
    app.register_blueprint(me_bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(users_cli)
    register_seeder(20, "demo accounts", demo.seed)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in first.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(cookie_id: str):
        # "<id>:<session token>". A forged or damaged value is simply "not signed in": ASCII digits
        # only (str.isdigit() accepts ² and ١, which int() then refuses), within the id column.
        user_id, _sep, token = cookie_id.partition(":")
        if not _USER_ID.fullmatch(user_id) or int(user_id) > MAX_DB_INTEGER or not token:
            return None
        # One statement for what every page asks: the staff member's union, the unread messages.
        user = db.session.get(
            models.User,
            int(user_id),
            options=[
                joinedload(models.User.union),
                with_expression(models.User.unread_messages, unread_count_of(models.User.id)),
            ],
        )
        if user is None or user.session_token != token or not user.is_active:
            return None
        return user

    message_template(
        "accounts.welcome",
        _l("Welcome to the Workers' Service Portal"),
        _l("Hello %(name)s! You can join the union, find rest stations and apply for help here."),
    )

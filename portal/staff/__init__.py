"""The staff workspace (工作台): what a union's staff act on, within their subtree."""


def init_app(app) -> None:
    from portal.core import workflow
    from portal.staff.views import bp

    app.register_blueprint(bp)
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.registry import StaffLink, register_staff_link

    register_staff_link(app, StaffLink("reviews", _l("Review queue"), "staff.reviews", "inbox", 10))
    register_staff_link(app, StaffLink("posters", _l("Join posters with QR code"), "staff.posters", "join", 20))
    register_staff_link(
        app, StaffLink("calendar", _l("Working-day calendar"), "staff.calendar", "clock", 90, roles=("admin",))
    )
    # Rows of the queue offer exactly what the workflow allows this reviewer (a tick box to approve).
    app.jinja_env.globals["allowed_actions"] = workflow.allowed_actions

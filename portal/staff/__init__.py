"""The staff workspace (工作台): what a union's staff act on, within their subtree."""


def init_app(app) -> None:
    from portal.core import workflow
    from portal.staff.views import bp

    app.register_blueprint(bp)
    # Rows of the queue offer exactly what the workflow allows this reviewer (a tick box to approve).
    app.jinja_env.globals["allowed_actions"] = workflow.allowed_actions

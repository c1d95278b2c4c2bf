"""The staff workspace (工作台): what a union's staff act on, within their subtree."""


def init_app(app) -> None:
    from portal.staff.views import bp

    app.register_blueprint(bp)

"""/api/v1: JSON endpoints for a future mini-program and for tests. Thin: each reuses its domain's services."""


def init_app(app) -> None:
    from portal.api.views import bp

    app.register_blueprint(bp)

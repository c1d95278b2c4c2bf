"""Home page, services, messages, privacy notice, settings, health check."""


def init_app(app) -> None:
    from portal.main.views import bp

    app.register_blueprint(bp)

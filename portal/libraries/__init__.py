"""职工书屋: worker libraries — find one, book a visit, search the catalogue, reserve and borrow
books, collect them at the library or at a partner rest station."""


def init_app(app) -> None:
    from portal.core.demo import register_seeder
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.registry import StaffLink, Tile, register_staff_link, register_tile
    from portal.libraries import demo, models, services  # noqa: F401  (models: register the tables)
    from portal.libraries.views import bp, staff_bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    services.register(app)
    register_seeder(60, "worker libraries: three libraries, their catalogues and partner stations", demo.seed)
    register_seeder(61, "worker libraries: visits with a waiting list, holds and loans", demo.seed_activity)
    register_tile(
        app,
        Tile("libraries", _l("Worker libraries"), _l("Book a visit or reserve a book"), "libraries.index", "book", 30),
    )
    register_staff_link(app, StaffLink("libraries", _l("Worker libraries"), "libraries_staff.manage", "book", 35))

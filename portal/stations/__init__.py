"""Outdoor worker rest stations (户外劳动者服务站点 / 职工驿站): find the nearest, navigate, report, manage."""


def init_app(app) -> None:
    from portal.core.demo import register_seeder
    from portal.stations import demo, models, reports  # noqa: F401  (models: register the tables)
    from portal.stations.cli import stations_cli
    from portal.stations.views import bp, staff_bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(stations_cli)
    register_seeder(40, "rest stations around Harbin and Tonghe", demo.seed)
    reports.register_messages()
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.registry import StaffLink, Tile, register_staff_link, register_tile

    register_tile(
        app,
        Tile("stations", _l("Rest stations"), _l("Water, charging and a rest nearby"), "stations.index", "station", 20),
    )
    register_staff_link(app, StaffLink("stations", _l("Rest stations"), "stations_staff.manage", "station", 30))
    register_staff_link(
        app,
        StaffLink(
            "station_reports",
            _l("Problem reports"),
            "stations_staff.reports",
            "alert",
            31,
            count=reports.open_count_in_scope,
            count_label=_l("Open station problem reports"),
        ),
    )
    # Let the map load its tiles (and the optional label layer) under the Content-Security-Policy.
    from urllib.parse import urlsplit

    origins = set()
    for template in filter(None, (app.config.get("STATION_MAP_TILES"), app.config.get("STATION_MAP_LABEL_TILES"))):
        parts = urlsplit(template)
        # {s} is a tile subdomain: list each host (a CSP wildcard must be a whole label).
        hosts = {parts.netloc.replace("{s}", sub) for sub in app.config["STATION_MAP_TILE_SUBDOMAINS"]}
        origins.update(f"{parts.scheme}://{host}" for host in hosts)
    if origins:
        app.config["CSP_IMG_SRC_EXTRA"] = (*app.config.get("CSP_IMG_SRC_EXTRA", ()), *sorted(origins))

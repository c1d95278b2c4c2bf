"""The union tree (national → province → city → county → grassroots)."""


def init_app(app) -> None:
    from portal.core.demo import register_seeder
    from portal.unions import demo, models  # noqa: F401  (models: register the tables)

    register_seeder(10, "union tree (Heilongjiang)", demo.seed)

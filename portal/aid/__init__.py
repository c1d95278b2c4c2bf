"""困难帮扶: hardship aid — the self-check (能申请吗？), applications on the staged review workflow,
public notices (公示) and case files."""


def init_app(app) -> None:
    from portal.aid import demo, models  # noqa: F401  (register the tables)
    from portal.aid.views import bp
    from portal.core.demo import register_seeder

    app.register_blueprint(bp)
    register_seeder(40, "hardship aid: minimum living standards, working-day calendar", demo.seed)

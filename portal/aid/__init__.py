"""困难帮扶: hardship aid — the self-check (能申请吗？), applications on the staged review workflow,
public notices (公示) and case files (建档)."""


def init_app(app) -> None:
    from portal.aid import demo, demo_cases, kind, models  # noqa: F401  (register the tables)
    from portal.aid.views import bp
    from portal.core.demo import register_seeder

    app.register_blueprint(bp)
    kind.register()
    from portal.aid.services import casefiles
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.registry import StaffLink, Tile, register_staff_link, register_tile

    register_tile(app, Tile("aid", _l("Hardship aid"), _l("Apply for help in difficult times"), "aid.index", "aid", 40))
    register_staff_link(
        app,
        StaffLink(
            "aid_cases",
            _l("Hardship aid case files"),
            "aid.cases",
            "aid",
            40,
            count=casefiles.due_count,
            count_label=_l("Case files due for their yearly review"),
        ),
    )
    register_staff_link(
        app,
        StaffLink(
            "aid_standards", _l("Minimum living standards (低保)"), "aid.admin_standards", "doc", 91, roles=("admin",)
        ),
    )

    from portal.aid.choices import CATEGORY_LABELS

    @app.template_filter("aid_category")
    def aid_category(code):
        return CATEGORY_LABELS.get(code, "")

    register_seeder(40, "hardship aid: minimum living standards, working-day calendar", demo.seed)
    register_seeder(45, "hardship aid cases at every stage (香坊区, 通河县)", demo_cases.seed)

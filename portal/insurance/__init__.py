"""互助保障: mutual medical insurance — plans as data, enrolment, claims on the staged review
workflow with a payout anyone can check (``rules``)."""


def init_app(app) -> None:
    from portal.core.demo import register_seeder
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.registry import StaffLink, Tile, register_effect, register_staff_link, register_tile
    from portal.insurance import demo, kind, models, services  # noqa: F401  (register the tables)
    from portal.insurance.views import bp

    app.register_blueprint(bp)
    kind.register()
    register_tile(
        app,
        Tile(
            "insurance",
            _l("Mutual medical cover"),
            _l("Join a plan, see what a hospital bill would pay"),
            "insurance.index",
            "shield",
            50,
        ),
    )
    register_staff_link(
        app, StaffLink("insurance_plans", _l("Insurance plans"), "insurance.admin_plans", "doc", 92, roles=("admin",))
    )
    register_staff_link(
        app, StaffLink("insurance_enrol", _l("Enrol members in mutual cover"), "insurance.staff_enrol", "shield", 51)
    )
    register_staff_link(
        app,
        StaffLink(
            "insurance_payments",
            _l("Insurance contributions to confirm"),
            "insurance.staff_payments",
            "shield",
            50,
            count=services.pending_payment_count,
            count_label=_l("Enrolments awaiting their contribution"),
        ),
    )

    register_seeder(50, "mutual medical insurance: the demo plans", demo.seed_plans)
    register_seeder(55, "mutual medical insurance: 张伟 holds HOSP-2026", demo.seed_enrolments)
    register_seeder(56, "mutual medical insurance: claims at every stage", demo.seed_claims)

    def give_accident_cover(user, occupation, actor):
        services.grant_with_membership(user, occupation, actor)

    register_effect(app, "membership.joined", give_accident_cover)

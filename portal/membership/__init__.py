"""入会: membership applications, transfers, leaving, the electronic member card, identity changes.

Membership, transfer and identity change are kinds of application of the shared
review workflow (``portal.core.workflow``).
"""


def init_app(app) -> None:
    from portal.accounts.services import IdentityLock, register_identity_lock
    from portal.core.demo import register_seeder
    from portal.core.i18n import lazy_gettext as _l
    from portal.core.notify import message_template
    from portal.core.workflow import ApplicationKind, register_kind
    from portal.membership import demo, identity, models, services
    from portal.membership.views import bp

    app.register_blueprint(bp)
    from portal.core.registry import Tile, register_tile

    register_tile(
        app,
        Tile(
            "membership", _l("Join the union"), _l("Apply online, get your member card"), "membership.index", "join", 10
        ),
    )

    from portal.core.web import path_for

    def applicant_url(application):
        return path_for("membership.application", public_id=application.public_id)

    def detail_context(application):
        return {"membership": services.membership_of(application.applicant)}

    register_kind(
        ApplicationKind(
            name="membership",
            label=_l("Membership"),
            model=models.MembershipApplication,
            detail_template="membership/_review_membership.html",
            applicant_url=applicant_url,
            on_approve=services.on_membership_approved,
            exclusive_group=services.GROUP,
            detail_context=detail_context,
            messages={
                "submitted": (
                    _l("Application to join received"),
                    _l("%(union)s will review your application. You will hear about it here."),
                ),
                "under_review": (
                    _l("Your application is under review"),
                    _l("%(union)s has started reviewing your application to join."),
                ),
                "needs_info": (
                    _l("More information needed for your application"),
                    _l("%(union)s asks: %(note)s Open your application to correct it and send it again."),
                ),
                "resubmitted": (
                    _l("Corrected application sent"),
                    _l("%(union)s will look at your corrected application."),
                ),
                "approved": (
                    _l("Welcome to the union!"),
                    _l("%(union)s has approved your application. Your electronic member card is ready."),
                ),
                "rejected": (
                    _l("Your application to join was not approved"),
                    _l("%(union)s gave this reason: %(note)s"),
                ),
                "withdrawn": (_l("Application withdrawn"), _l("You withdrew your application to join %(union)s.")),
            },
        )
    )
    register_kind(
        ApplicationKind(
            name="transfer",
            label=_l("Transfer"),
            model=models.TransferApplication,
            detail_template="membership/_review_transfer.html",
            applicant_url=applicant_url,
            on_approve=services.on_transfer_approved,
            exclusive_group=services.GROUP,
            detail_context=detail_context,
            messages={
                "submitted": (_l("Transfer request received"), _l("%(union)s will review your request to transfer.")),
                "under_review": (
                    _l("Your transfer request is under review"),
                    _l("%(union)s has started reviewing your transfer request."),
                ),
                "needs_info": (_l("More information needed for your transfer"), _l("%(union)s asks: %(note)s")),
                "resubmitted": (
                    _l("Transfer request sent again"),
                    _l("%(union)s will look at your transfer request again."),
                ),
                "approved": (
                    _l("Transfer approved"),
                    _l("You are now a member of %(union)s. Your member number stays the same."),
                ),
                "rejected": (_l("Your transfer was not approved"), _l("%(union)s gave this reason: %(note)s")),
                "withdrawn": (
                    _l("Transfer request withdrawn"),
                    _l("You withdrew your request to transfer to %(union)s."),
                ),
            },
        )
    )
    register_kind(
        ApplicationKind(
            name="identity_change",
            label=_l("Change of name or ID number"),
            model=models.IdentityChangeApplication,
            detail_template="membership/_review_identity.html",
            applicant_url=applicant_url,
            on_approve=identity.on_identity_change_approved,
            exclusive_group=identity.GROUP,
            detail_context=detail_context,
            reveal=identity.reveal,
            messages={
                "submitted": (
                    _l("Change request received"),
                    _l("%(union)s will review your request to change your real name or ID number."),
                ),
                "under_review": (
                    _l("Your change request is under review"),
                    _l("%(union)s has started reviewing your request to change your details."),
                ),
                "needs_info": (
                    _l("More information needed for your change request"),
                    _l("%(union)s asks: %(note)s Open the request to reply."),
                ),
                "resubmitted": (_l("Reply sent"), _l("%(union)s will look at your change request again.")),
                "approved": (
                    _l("Your details have been changed"),
                    _l(
                        "%(union)s approved the change. Your member card shows the new details; "
                        "open it again for a new QR code."
                    ),
                ),
                "rejected": (_l("Your change request was not approved"), _l("%(union)s gave this reason: %(note)s")),
                "withdrawn": (_l("Change request withdrawn"), _l("You withdrew your request to change your details.")),
            },
        )
    )
    register_identity_lock(
        "membership", IdentityLock(applies=identity.is_locked, request_endpoint="membership.identity_change")
    )
    message_template(
        "membership.left",
        _l("You have left the union"),
        _l("You are no longer a member of %(union)s. You can apply to join again at any time."),
    )
    register_seeder(30, "membership applications", demo.seed)

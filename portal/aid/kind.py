"""Hardship aid as a kind of application: its stages, effects and messages (``core.workflow``)."""

from __future__ import annotations

from flask import current_app

from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow import ApplicationKind, Stage, register_kind


def notice_working_days() -> int:
    return int(current_app.config["AID_NOTICE_WORKING_DAYS"])


STAGES = (
    Stage(
        "first_review",
        _l("Grassroots union review"),
        level="grassroots",
        actions=("approve", "request_info", "reject"),
        decision_template="aid/_decide_first_review.html",
    ),
    Stage(
        "county_approval",
        _l("County union approval"),
        level="county",
        actions=("approve", "send_back", "reject"),
        decision_template="aid/_decide_county_approval.html",
    ),
    Stage(
        "notice",
        _l("Public notice"),
        wait_working_days=notice_working_days,
        objection_to="county_approval",
        waiting_label=_l("On public notice"),
    ),
)


def register() -> None:
    from portal.aid.models import AidApplication
    from portal.aid.services import casefiles, review
    from portal.core.web import path_for

    def applicant_url(application):
        return path_for("aid.application", public_id=application.public_id)

    def reveal(application):
        return {
            "id_number": application.applicant.reveal_id_number(),
            "bank_account": application.reveal_bank_account(),
        }

    def detail_context(application):
        from portal.aid.views.staff import detail_context as context

        return context(application)

    register_kind(
        ApplicationKind(
            name="aid",
            label=_l("Hardship aid"),
            model=AidApplication,
            detail_template="aid/_review_aid.html",
            applicant_url=applicant_url,
            on_approve=casefiles.open_case_file,
            exclusive_group="aid",
            detail_context=detail_context,
            reveal=reveal,
            reveal_label=_l("Show the full ID number and bank account"),
            stages=STAGES,
            guard=review.guard,
            messages={
                "submitted": (
                    _l("Hardship aid application received"),
                    _l("%(union)s will check your documents and may visit your home. You will hear about it here."),
                ),
                "under_review": (
                    _l("Your hardship aid application is under review"),
                    _l("%(union)s has started reviewing your application."),
                ),
                "needs_info": (
                    _l("More information needed for your hardship aid application"),
                    _l("%(union)s asks: %(note)s Open your application to reply and add documents."),
                ),
                "resubmitted": (_l("Reply sent"), _l("%(union)s will look at your application again.")),
                "county_approval": (
                    _l("Passed to the county union"),
                    _l("The first review is done; the county union will now decide on your application."),
                ),
                "send_back": (
                    _l("Your application is being looked at again"),
                    _l("The county union asked your union to look at your application again."),
                ),
                "notice": (
                    _l("Approved, now on public notice"),
                    _l(
                        "Your application was approved and is on public notice for a few working days, "
                        "showing only your family name with a star. If nobody objects, your case file opens."
                    ),
                ),
                "object": (
                    _l("An objection was received"),
                    _l("Someone objected during the public notice; the county union will review your case again."),
                ),
                "approved": (
                    _l("Your hardship aid case file is open"),
                    _l("The public notice ended without objection. Payments will be shown on your case file."),
                ),
                "rejected": (
                    _l("Your hardship aid application was not approved"),
                    _l("%(union)s gave this reason: %(note)s"),
                ),
                "withdrawn": (_l("Application withdrawn"), _l("You withdrew your hardship aid application.")),
            },
        )
    )

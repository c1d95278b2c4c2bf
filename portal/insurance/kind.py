"""Insurance claims as a kind of application: two stages, the payout on approval, messages."""

from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.workflow import ApplicationKind, Stage, register_kind

STAGES = (
    Stage(
        "document_check",
        _l("Grassroots union checks the documents"),
        level="grassroots",
        actions=("approve", "request_info", "reject"),
    ),
    Stage(
        "payout_approval",
        _l("County union approves the payout"),
        level="county",
        actions=("approve", "send_back", "reject"),
        decision_template="insurance/_decide_payout.html",
    ),
)


def register() -> None:
    from portal.core.web import path_for
    from portal.insurance import claims, payouts
    from portal.insurance.models import InsuranceClaim

    def detail_context(application):
        from portal.insurance.views.staff import claim_context

        return claim_context(application)

    register_kind(
        ApplicationKind(
            name="insurance_claim",
            label=_l("Insurance claim"),
            model=InsuranceClaim,
            detail_template="insurance/_review_claim.html",
            applicant_url=lambda application: path_for("insurance.claim", public_id=application.public_id),
            on_approve=payouts.pay_out,
            on_close=claims.release_invoices,
            detail_context=detail_context,
            stages=STAGES,
            guard=payouts.guard,
            messages={
                "submitted": (
                    _l("Claim received"),
                    _l("%(union)s will check your documents. You will hear about it here."),
                ),
                "under_review": (_l("Your claim is being checked"), _l("%(union)s has started checking your claim.")),
                "needs_info": (
                    _l("More information needed for your claim"),
                    _l("%(union)s asks: %(note)s Open your claim to reply and add documents."),
                ),
                "resubmitted": (_l("Reply sent"), _l("%(union)s will look at your claim again.")),
                "payout_approval": (
                    _l("Documents checked"),
                    _l("Your documents are in order; the county union will now approve the payout."),
                ),
                "send_back": (
                    _l("Your claim is being checked again"),
                    _l("The county union asked your union to look at your claim again."),
                ),
                "approved": (
                    _l("Your claim was paid"),
                    _l("Open your claim to see the payout and how it was worked out."),
                ),
                "rejected": (_l("Your claim was not approved"), _l("%(union)s gave this reason: %(note)s")),
                "withdrawn": (_l("Claim withdrawn"), _l("You withdrew your claim.")),
            },
        )
    )

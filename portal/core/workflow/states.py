"""States of an application and the legal moves between them."""

from __future__ import annotations

from portal.core.errors import InvalidTransition
from portal.core.i18n import lazy_gettext as _l

STATES = ("draft", "submitted", "needs_info", "resubmitted", "approved", "rejected", "withdrawn")
OPEN_STATES = ("draft", "submitted", "needs_info", "resubmitted")
AWAITING_REVIEW = ("submitted", "resubmitted")
STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "needs_info": _l("More information requested"),
    "resubmitted": _l("Resubmitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

APPLICANT_ACTIONS = {"submit", "resubmit", "withdraw"}
REVIEWER_ACTIONS = {"approve", "reject", "request_info", "send_back"}
SYSTEM_ACTIONS = {"elapse"}  # a timed stage's time is up (jobs)
PUBLIC_ACTIONS = {"object"}  # an objection during a public notice (公示)

# The status each action leads to. "approve" and "elapse" lead on to the next stage while there
# is one (the status stays submitted), and to "approved" after the last.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("needs_info", "resubmit"): "resubmitted",
    **{(state, "approve"): "approved" for state in AWAITING_REVIEW},
    **{(state, "elapse"): "approved" for state in AWAITING_REVIEW},
    **{(state, "reject"): "rejected" for state in AWAITING_REVIEW},
    **{(state, "request_info"): "needs_info" for state in AWAITING_REVIEW},
    **{(state, "send_back"): "submitted" for state in AWAITING_REVIEW},
    **{(state, "object"): "submitted" for state in AWAITING_REVIEW},
    **{(state, "withdraw"): "withdrawn" for state in OPEN_STATES},
}

NOTE_MAX = 500  # staff notes and applicants' replies

COMMON_REJECT_REASONS = (
    _l("The information given is incomplete or does not match the ID card."),
    _l("The applicant does not work in this union's area or trade."),
    _l("The applicant is already a member of another union."),
    _l("The documents provided are not clear enough."),
)


def target_state(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        if status not in OPEN_STATES:
            raise InvalidTransition(_l("This application has already been decided.")) from None
        raise InvalidTransition() from None

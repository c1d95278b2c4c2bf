"""Membership rules: who may apply where, what approval does, transfers, leaving, the member card.

The review itself (states, reviewers, audit, messages) is the shared workflow in
``portal.core.workflow``; this package adds what is particular to membership, one module per
use case:

* ``common``    — the person's membership and applications, the joinable union, replying to the
                  union's question, the membership's history (what the others share);
* ``chooser``   — which unions to offer a worker;
* ``joining``   — applying, correcting the application, approval (member numbers);
* ``transfers`` — moving to another union;
* ``leaving``   — leaving the union;
* ``cards``     — the member card's signed token and its verification.

Other domains use ``from portal.membership import services`` and the names below.
"""

from portal.membership.services.cards import Verification, card_token, membership_at_desk, verify_card
from portal.membership.services.chooser import Suggestion, suggest_unions
from portal.membership.services.common import (
    GROUP,
    KINDS,
    applications_of,
    joinable_union,
    membership_of,
    open_application,
    reply,
)
from portal.membership.services.joining import (
    MINIMUM_AGE,
    allocate_member_number,
    apply,
    on_membership_approved,
    update_and_resubmit,
)
from portal.membership.services.leaving import leave
from portal.membership.services.transfers import (
    on_transfer_approved,
    request_transfer,
    update_transfer_and_resubmit,
)

__all__ = [
    "GROUP",
    "KINDS",
    "MINIMUM_AGE",
    "Suggestion",
    "Verification",
    "allocate_member_number",
    "applications_of",
    "apply",
    "card_token",
    "joinable_union",
    "leave",
    "membership_at_desk",
    "membership_of",
    "on_membership_approved",
    "on_transfer_approved",
    "open_application",
    "reply",
    "request_transfer",
    "suggest_unions",
    "update_and_resubmit",
    "update_transfer_and_resubmit",
    "verify_card",
]

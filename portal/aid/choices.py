"""Hardship aid's fixed lists (codes in the database, labels in the catalogue)."""

from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l

# The category of hardship (the self-check's rules; staff recommend and approve one).
CATEGORY_LABELS = {
    "deep": _l("Deep hardship (深度困难)"),
    "relative": _l("Relative hardship (相对困难)"),
    "accident": _l("Hardship from an accident or illness (意外致困)"),
}
CATEGORIES = tuple(CATEGORY_LABELS)

CAUSE_LABELS = {
    "illness": _l("Illness (因病)"),
    "disability": _l("Disability (因残)"),
    "disaster": _l("Disaster (因灾)"),
    "schooling": _l("Children's schooling (子女就学)"),
    "accident": _l("Accident (意外事故)"),
    "unemployment": _l("Unemployment (失业)"),
    "single_parent": _l("Single parent (单亲)"),
    "other": _l("Other (其他)"),
}
CAUSES = tuple(CAUSE_LABELS)

HELP_LABELS = {
    "living": _l("Living allowance (生活救助)"),
    "medical": _l("Medical aid (医疗救助)"),
    "schooling": _l("School aid (助学)"),
    "other": _l("Other (其他)"),
}
HELP_TYPES = tuple(HELP_LABELS)

RELATIONSHIP_LABELS = {
    "self": _l("Myself"),
    "spouse": _l("Spouse"),
    "child": _l("Child"),
    "parent": _l("Parent"),
    "grandparent": _l("Grandparent"),
    "sibling": _l("Brother or sister"),
    "other": _l("Other relative"),
}
RELATIONSHIPS = tuple(RELATIONSHIP_LABELS)

HEALTH_LABELS = {
    "healthy": _l("Healthy"),
    "chronic": _l("Long-term illness"),
    "serious": _l("Serious illness"),
    "disabled": _l("Disabled"),
}
HEALTH = tuple(HEALTH_LABELS)

PAYMENT_METHOD_LABELS = {
    "bank": _l("Bank transfer"),
    "cash": _l("Cash"),
    "other": _l("Other"),
}
PAYMENT_METHODS = tuple(PAYMENT_METHOD_LABELS)

CASE_STATES = ("open", "closed")
CASE_STATE_LABELS = {"open": _l("On file"), "closed": _l("Closed (撤档)")}

MEMBERS_MAX = 10  # household members listed on one application
ACCOUNT_MAX = 1000  # the applicant's own account of the hardship, characters
AMOUNT_MAX = 100_000  # yuan asked, recommended or approved in one case

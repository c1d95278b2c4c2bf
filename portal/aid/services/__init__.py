"""Hardship aid's rules as plain functions, by use case: the self-check (``check``), applications
(``applications``), the review stages (``review``), public notices (``notices``) and case files
(``casefiles``). Views and the API import them from here."""

from portal.aid.services.check import (
    DOCUMENTS,
    CheckResult,
    documents_for,
    regions_with_standards,
    self_check,
    shares,
    standard_for,
    thresholds,
)

__all__ = [
    "DOCUMENTS",
    "CheckResult",
    "documents_for",
    "regions_with_standards",
    "self_check",
    "shares",
    "standard_for",
    "thresholds",
]

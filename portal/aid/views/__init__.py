"""Hardship aid pages: the self-check (``check``), the member's application and case file
(``member``), public notices and objections (``notices``), the review and case files for staff
(``staff``). One blueprint, ``aid``."""

from portal.aid.views import admin, check, member, notices, staff  # noqa: F401  (register the routes)
from portal.aid.views.blueprint import bp

__all__ = ["bp"]

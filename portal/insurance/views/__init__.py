"""Insurance pages: the member's plans, enrolment and estimates (``member``), and the staff's
contribution confirmations (``staff``). One blueprint, ``insurance``."""

from portal.insurance.views import admin, claims, member, staff  # noqa: F401  (register the routes)
from portal.insurance.views.blueprint import bp

__all__ = ["bp"]

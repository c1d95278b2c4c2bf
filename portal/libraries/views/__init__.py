"""The libraries' pages: one public blueprint (``libraries``) and one for staff (``libraries_staff``);
each module adds the routes of one use case to them."""

from portal.libraries.views import catalogue, desk, finder, holds, mine, staff, visits  # noqa: F401  (add routes)
from portal.libraries.views.blueprint import bp, staff_bp

__all__ = ["bp", "staff_bp"]

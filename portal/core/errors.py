"""Domain errors: business rules refuse with a translatable message, never a 500.

Services raise these; views attach them to a form field (``field``) or let the
global handler flash them on the page the person came from.
"""

from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l


class DomainError(Exception):
    status_code = 400
    default_message = _l("This action could not be completed.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    status_code = 403
    default_message = _l("You are not allowed to do that.")


class NotFound(DomainError):
    status_code = 404
    default_message = _l("We could not find that.")


class InvalidTransition(DomainError):
    status_code = 409
    default_message = _l("This item has already been handled; refresh to see its current state.")


class CapacityFull(DomainError):
    status_code = 409
    default_message = _l("Sorry, there are no places left.")


class Conflict(DomainError):
    """Input that clashes with existing data (a phone already registered): fixable on the form."""

    status_code = 422
    default_message = _l("This conflicts with existing data.")

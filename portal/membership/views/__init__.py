"""The worker's side of membership: choose a union, apply, follow the review, the card, transfer, leave.

One blueprint (``membership``, in ``blueprint.py``) with its pages in a module per use case;
importing this package registers them all:

* ``joining``      — the overview, the union chooser, the poster entry and its QR code, the form;
* ``applications`` — an application's page, replying, correcting, withdrawing;
* ``cards``        — the member card and its public check;
* ``changes``      — transfer, leaving, changing the real name or ID number.
"""

from portal.membership.views import applications, cards, changes, joining  # noqa: F401  (register the routes)
from portal.membership.views.blueprint import bp, public_url, qr_svg

__all__ = ["bp", "public_url", "qr_svg"]

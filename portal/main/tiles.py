"""The service tiles on the home page, from the domains' registrations (``core.registry``).

Modules still to come are planned here: their tiles read 即将上线 (coming soon) until the module
registers a tile of the same key, which lights it up."""

from __future__ import annotations

from portal.core import registry
from portal.core.i18n import lazy_gettext as _l
from portal.core.registry import Tile

PLANNED = (
    Tile("libraries", _l("Worker libraries"), _l("Book a visit or reserve a book"), "libraries.index", "book", 30),
    Tile("insurance", _l("Mutual medical cover"), _l("Join the plan and claim"), "insurance.index", "shield", 50),
    Tile("volunteering", _l("Volunteering"), _l("Sign up for activities"), "volunteering.index", "heart", 60),
)


def all_tiles() -> list[Tile]:
    return registry.tiles(PLANNED)

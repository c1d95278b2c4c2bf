"""The service tiles on the home page.

A tile links to its module's endpoint once that module is installed; until then it
reads 即将上线 (coming soon). So a new module lights up its tile just by
registering the endpoint named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from portal.core.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Tile:
    key: str
    title: object
    summary: object
    endpoint: str
    icon: str

    @property
    def available(self) -> bool:
        return self.endpoint in current_app.view_functions

    @property
    def url(self) -> str | None:
        return url_for(self.endpoint) if self.available else None


TILES = (
    Tile("membership", _l("Join the union"), _l("Apply online, get your member card"), "membership.index", "join"),
    Tile("stations", _l("Rest stations"), _l("Water, charging and a rest nearby"), "stations.index", "station"),
    Tile("libraries", _l("Worker libraries"), _l("Book a visit or reserve a book"), "libraries.index", "book"),
    Tile("aid", _l("Hardship aid"), _l("Apply for help in difficult times"), "aid.index", "aid"),
    Tile("insurance", _l("Mutual medical cover"), _l("Join the plan and claim"), "aid.insurance", "shield"),
    Tile("volunteering", _l("Volunteering"), _l("Sign up for activities"), "volunteering.index", "heart"),
)

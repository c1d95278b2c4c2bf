"""What the domains put on shared pages: the home page's service tiles and the staff workspace's
menu. Each domain registers its own entries in its ``init_app``; the pages read them from here, so
a new module appears without editing the home page or the workspace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, url_for


@dataclass(frozen=True)
class Tile:
    key: str
    title: object  # lazy strings
    summary: object
    endpoint: str
    icon: str
    order: int = 100

    @property
    def available(self) -> bool:
        return self.endpoint in current_app.view_functions

    @property
    def url(self) -> str | None:
        return url_for(self.endpoint) if self.available else None


@dataclass(frozen=True)
class StaffLink:
    key: str
    label: object
    endpoint: str
    icon: str
    order: int = 100
    # A figure shown beside the link (e.g. case files due for review), for this staff member; None: none.
    count: Callable[[object], int | None] | None = None
    count_label: object = None  # what the figure counts, on the workspace's tiles
    roles: tuple[str, ...] = ("staff", "admin")  # who sees the link


def _entries(name: str) -> dict:
    return current_app.extensions.setdefault(f"portal_{name}", {})


def register_tile(app, tile: Tile) -> None:
    app.extensions.setdefault("portal_tiles", {})[tile.key] = tile


def register_staff_link(app, link: StaffLink) -> None:
    app.extensions.setdefault("portal_staff_links", {})[link.key] = link


def tiles(planned: tuple[Tile, ...] = ()) -> list[Tile]:
    """The registered tiles, and the planned ones no module has registered yet (即将上线), in order."""
    registered = _entries("tiles")
    merged = {**{t.key: t for t in planned}, **registered}
    return sorted(merged.values(), key=lambda t: (t.order, t.key))


def staff_links(user=None) -> list[StaffLink]:
    links = _entries("staff_links").values()
    if user is not None:
        links = [link for link in links if user.role in link.roles]
    return sorted(links, key=lambda link: (link.order, link.key))


# --- Effects one domain has on another ------------------------------------------------------------
# A domain announces what happened (``announce("membership.joined", …)``); others register what
# follows from it in their ``init_app`` (insurance gives new-employment-form members the accident
# plan). The effects run in the announcer's transaction: all or nothing.


def register_effect(app, event: str, effect: Callable[..., None]) -> None:
    app.extensions.setdefault("portal_effects", {}).setdefault(event, []).append(effect)


def announce(event: str, **details) -> None:
    for effect in current_app.extensions.get("portal_effects", {}).get(event, ()):
        effect(**details)

"""How a station reads on a page: its status (营业中 / 休息中 · 明天 08:00 开放 / 暂停开放), its
opening hours in words, and the repeated pieces of a list, each written once per page."""

from __future__ import annotations

from markupsafe import Markup

from portal.core.db import utcnow
from portal.core.hours import LOCAL_ZONE, is_overnight, parse_open_hours, week_summary
from portal.core.i18n import gettext as _
from portal.core.i18n import weekday_names
from portal.stations import services
from portal.stations.models import AMENITY_ICONS, AMENITY_LABELS, amenity_codes


def status_labeller():
    """A function status → (css class, pill text, detail): 营业中 / 休息中 · 明天 08:00 开放 / 暂停开放.

    Each distinct status is translated once per page: a list repeats the same few.
    """
    today = utcnow().astimezone(LOCAL_ZONE).date()
    cache: dict = {}

    def label(status: services.Status) -> tuple[str, str, str]:
        key = (status.state, status.opens_at)
        if key not in cache:
            cache[key] = _status_label(status, today)
        return cache[key]

    return label


def _status_label(status: services.Status, today) -> tuple[str, str, str]:
    if status.state == "open":
        return "is-open", _("Open now"), ""
    if status.state == "suspended":
        return "is-suspended", _("Temporarily closed"), ""
    if status.opens_at is None:
        return "is-closed", _("Closed now"), ""
    opens = status.opens_at
    time = opens.strftime("%H:%M")
    days = (opens.date() - today).days
    if days == 0:
        when = _("Opens today at %(time)s", time=time)
    elif days == 1:
        when = _("Opens tomorrow at %(time)s", time=time)
    else:
        when = _("Opens %(day)s at %(time)s", day=weekday_names()[opens.weekday()], time=time)
    return "is-closed", _("Closed now"), when


class ListPieces:
    """The repeated parts of a station list, each written once per page and reused.

    Profiling the list page (issue 7) showed its time going to the same few things written
    again for every station: the amenity chips (an icon and a label each, escaped one by one),
    the status pill and the distance (a translation each). Stations share them — a few amenity
    sets, a few statuses — so each distinct one is built once, as HTML, and reused.
    """

    def __init__(self, sprite: str):
        self.sprite = sprite
        self.status_label = status_labeller()
        self.labels = {code: str(label) for code, label in AMENITY_LABELS.items()}
        self._amenities: dict[int, Markup] = {}
        self._chips: dict[str, str] | None = None
        self._status: dict[tuple, Markup] = {}
        self._metres = _("%(n)d m")  # the patterns, translated once
        self._km = _("%(n)s km")

    def amenities(self, mask: int) -> Markup:
        if mask not in self._amenities:
            if self._chips is None:  # each of the ten chips, escaped once
                self._chips = {
                    code: str(
                        Markup('<li><svg aria-hidden="true"><use href="%s#%s"/></svg>%s</li>')
                        % (self.sprite, AMENITY_ICONS[code], label)
                    )
                    for code, label in self.labels.items()
                }
            chips = "".join(self._chips[code] for code in amenity_codes(mask))
            self._amenities[mask] = Markup(f'<ul class="amenities" role="list">{chips}</ul>')  # noqa: S704 (escaped above)
        return self._amenities[mask]

    def status(self, status: services.Status) -> Markup:
        key = (status.state, status.opens_at)
        if key not in self._status:
            css, pill, when = self.status_label(status)
            html = Markup('<span class="status-pill %s">%s</span>') % (css, pill)
            if when:
                html += Markup('<span class="opens">%s</span>') % when
            self._status[key] = html
        return self._status[key]

    def distance(self, metres: float) -> str:
        """As core.i18n.fmt_distance (350米 / 1.2公里), with the patterns translated once per page."""
        if metres < 1000:
            return self._metres % {"n": round(metres)}
        km = metres / 1000
        return self._km % {"n": f"{km:.1f}" if km < 100 else f"{km:.0f}"}


def hours_text(open_hours: str) -> str:
    """Opening hours in the reader's words: 周一至周五 08:30-17:30；周六 09:00-17:00 (staff tables)."""
    try:
        schedule = parse_open_hours(open_hours)
    except ValueError:
        return open_hours
    if schedule.always_open:
        return _("Open 24 hours, every day")
    names = weekday_names()
    lines = []
    for (first, last), ranges in week_summary(schedule):
        if (first, last) == (0, 6):
            days = _("Every day")
        elif first == last:
            days = names[first]
        else:
            days = _("%(first)s to %(last)s", first=names[first], last=names[last])
        times = ", ".join(
            _("%(start)s to %(end)s the next day", start=a, end=b) if is_overnight(a, b) else f"{a}-{b}"
            for a, b in ranges
        )
        lines.append(f"{days} {times}")
    return _("; ").join(lines) if lines else _("Closed")

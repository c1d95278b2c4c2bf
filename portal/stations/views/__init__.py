"""The worker's station finder (list, map, detail, report) and the staff's station pages.

Two blueprints, ``stations`` and ``stations_staff`` (in ``blueprints.py``), with their pages in a
module per use case; importing this package registers them all:

* ``public``        — the list, the map and a station's page (reporting a problem);
* ``finder``        — what the finder was asked, where it starts, the district picker;
* ``labels``        — status, opening hours and a list's repeated pieces, as pages show them;
* ``staff``         — the staff's station list, form, hiding, CSV import and export;
* ``staff_reports`` — the staff's problem reports.
"""

from portal.stations.views import public, staff, staff_reports  # noqa: F401  (register the routes)
from portal.stations.views.blueprints import bp, staff_bp
from portal.stations.views.labels import hours_text

__all__ = ["bp", "hours_text", "staff_bp"]

"""Station rules: finding, showing, managing within scope, export — one module per use case:

* ``finder``     — the nearest stations (cards), the keyword search, open/resting/suspended,
                   where a search starts;
* ``detail``     — one station for the public, and the links into the map apps;
* ``management`` — staff add, change, hide and list the stations of their subtree (the field
                   rules are shared with the importer);
* ``export``     — the stations as CSV rows in the importer's format.

The nearest-station search is in ``portal.stations.search``, the CSV import in ``importer.py``
and the problem reports in ``reports.py``. Other modules use ``from portal.stations import
services`` and the names below.
"""

from portal.core.navigation import NAV_SOURCE
from portal.stations.services.detail import (
    MAX_ID,
    NavLink,
    active_by_ids,
    get_public,
    ids_in_scope,
    in_scope_for_choice,
    navigation_links,
)
from portal.stations.services.export import EXPORT_COLUMNS, export_csv, export_rows
from portal.stations.services.finder import (
    FAR_SHOWN,
    Card,
    Found,
    Nearby,
    Status,
    centre_of,
    is_open_now,
    nearby,
    nearby_summaries,
    nearby_within,
    search_by_keyword,
    station_status,
    work_district_code,
)
from portal.stations.services.management import (
    clean_notice_fields,
    clean_station_fields,
    create_station,
    set_active,
    staff_list,
    update_station,
)

__all__ = [
    "EXPORT_COLUMNS",
    "FAR_SHOWN",
    "MAX_ID",
    "NAV_SOURCE",
    "Card",
    "Found",
    "NavLink",
    "active_by_ids",
    "ids_in_scope",
    "in_scope_for_choice",
    "Nearby",
    "Status",
    "centre_of",
    "clean_notice_fields",
    "clean_station_fields",
    "create_station",
    "export_csv",
    "export_rows",
    "get_public",
    "is_open_now",
    "navigation_links",
    "nearby",
    "nearby_summaries",
    "nearby_within",
    "search_by_keyword",
    "set_active",
    "staff_list",
    "station_status",
    "update_station",
    "work_district_code",
]

"""The review queue's filters: read from the query string, and shown above the list as chips.

The queue page itself carries only a search box and the filters in force, each removable in one
tap; every filter is set on a page of its own (``staff.reviews_filter``), which sends the same
query string back to the queue. The queue reads its arguments here without building the form —
the union picker alone lists every union in scope, 560 for a province admin — which kept the
page from its speed goal at 50,000 applications (docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for

from portal.core import workflow
from portal.core.i18n import fmt_date
from portal.core.i18n import gettext as _

KEYS = ("mine", "status", "kind", "stage", "union", "date_from", "date_to", "q")
QUERY_MAX = 30


def status_choices() -> list[tuple[str, str]]:
    return [("awaiting", _("Awaiting decision")), ("all", _("All"))] + [
        (s, str(workflow.STATE_LABELS[s])) for s in workflow.STATES if s != "draft"
    ]


def kind_choices() -> list[tuple[str, str]]:
    return [(k.name, str(k.label)) for k in workflow.KINDS.values()]


def stage_choices() -> list[tuple[str, str]]:
    """Stages of the kinds that have more than one (one stage says nothing the kind does not)."""
    return [
        (f"{k.name}:{s.name}", f"{k.label} · {s.label}")
        for k in workflow.KINDS.values()
        if len(k.stages) > 1
        for s in k.stages
    ]


@dataclass(frozen=True)
class Chip:
    key: str
    label: str
    remove_url: str


@dataclass
class ReadFilters:
    filters: workflow.QueueFilters
    args: dict[str, str]  # the arguments in force, as the queue's links carry them
    errors: list[str]


def _day(value: str) -> date:
    return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a calendar day, no time)


def read(args) -> ReadFilters:
    """The queue's filters from ``args``. Unknown values are dropped; a date or search that cannot
    be used is dropped with a message saying so (the rest of the filters still apply)."""
    kept: dict[str, str] = {}
    errors: list[str] = []
    raw = {key: (args.get(key) or "").strip() for key in KEYS}

    status = raw["status"] if raw["status"] in dict(status_choices()) else "awaiting"
    if status != "awaiting":
        kept["status"] = status
    kind = raw["kind"] if raw["kind"] in workflow.KINDS else None
    stage = raw["stage"] if raw["stage"] in dict(stage_choices()) else None
    union = raw["union"][:32] or None
    mine = raw["mine"] == "1"
    days: dict[str, date | None] = {}
    for key in ("date_from", "date_to"):
        days[key] = None
        if raw[key]:
            try:
                days[key] = _day(raw[key])
            except ValueError:
                errors.append(
                    _("The date “%(value)s” is not a date (YYYY-MM-DD); it was left out.", value=raw[key][:20])
                )
    query = raw["q"]
    if len(query) > QUERY_MAX:
        errors.append(_("Search for at most %(num)d characters; the search was left out.", num=QUERY_MAX))
        query = ""
    for key, value in (("kind", kind), ("stage", stage), ("union", union), ("q", query)):
        if value:
            kept[key] = value
    for key, day in days.items():
        if day:
            kept[key] = day.isoformat()
    if mine:
        kept["mine"] = "1"
    filters = workflow.QueueFilters(
        status=status,
        kind=kind,
        union_code=union,
        date_from=days["date_from"],
        date_to=days["date_to"],
        query=query,
        stage=stage,
        mine=mine,
    )
    return ReadFilters(filters=filters, args={k: kept[k] for k in KEYS if k in kept}, errors=errors)


def chips(read_filters: ReadFilters, union_name: str | None) -> list[Chip]:
    """One chip per filter in force, in the order of ``KEYS``; each links to the queue without it."""
    args = read_filters.args
    labels = {
        "mine": lambda v: _("Waiting for me"),
        "status": lambda v: _("Status: %(value)s", value=dict(status_choices())[v]),
        "kind": lambda v: _("Kind: %(value)s", value=workflow.KINDS[v].label),
        "stage": lambda v: _("Stage: %(value)s", value=dict(stage_choices())[v]),
        "union": lambda v: _("Union: %(value)s", value=union_name or v),
        "date_from": lambda v: _("Sent on or after %(date)s", date=fmt_date(_day(v))),
        "date_to": lambda v: _("Sent on or before %(date)s", date=fmt_date(_day(v))),
        "q": lambda v: _("Search: %(value)s", value=v),
    }
    return [
        Chip(key, labels[key](value), url_for("staff.reviews", **{k: v for k, v in args.items() if k != key}))
        for key, value in args.items()
    ]

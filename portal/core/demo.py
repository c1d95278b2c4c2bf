"""Demo data: each domain registers a seeder; ``flask seed-demo`` runs them in order.

Seeders are idempotent: they create what is missing and leave everything that
exists alone (including anything a person changed since), so ``make run`` can
call them every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeder:
    order: int
    name: str
    run: Callable[[], None]


_SEEDERS: dict[str, Seeder] = {}
DEMO_ACCOUNTS: list[dict] = []  # filled by the accounts domain: printed by `flask demo-accounts`


def register_seeder(order: int, name: str, run: Callable[[], None]) -> None:
    _SEEDERS[name] = Seeder(order, name, run)


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS.values(), key=lambda s: (s.order, s.name))

"""core.capacity: places taken until there are none, the line in order, one claim per holder,
releases that promote the first in line, and capacity that can grow or shrink but never below
what is taken."""

from __future__ import annotations

import pytest

from portal.core import capacity
from portal.core.errors import CapacityFull, Conflict
from portal.extensions import db


@pytest.fixture
def pool(ctx):
    pool_id = capacity.ensure_pool("test:slot", 2)
    db.session.commit()
    return pool_id


def test_places_then_the_line_in_order(pool):
    places = [capacity.take(pool, f"user:{n}") for n in range(5)]
    assert [(p.status, p.position) for p in places] == [
        ("held", None),
        ("held", None),
        ("waiting", 1),
        ("waiting", 2),
        ("waiting", 3),
    ]
    assert capacity.counts(pool) == (2, 2, 3)
    assert capacity.position_in_line(places[3].claim_id) == 2


def test_full_without_a_line_when_asked(pool):
    capacity.take(pool, "user:1")
    capacity.take(pool, "user:2")
    with pytest.raises(CapacityFull):
        capacity.take(pool, "user:3", wait=False)


def test_one_claim_per_holder_until_it_is_released(pool):
    first = capacity.take(pool, "user:1")
    with pytest.raises(Conflict):
        capacity.take(pool, "user:1")
    assert capacity.counts(pool) == (2, 1, 0)  # the refused one kept no place
    capacity.release(first.claim_id)
    assert capacity.take(pool, "user:1").status == "held"


def test_a_released_place_goes_to_the_first_in_line_and_twice_gives_back_once(pool):
    held = capacity.take(pool, "user:1")
    capacity.take(pool, "user:2")
    second_in_line = [capacity.take(pool, f"user:{n}") for n in (3, 4)][1]
    promoted = capacity.release(held.claim_id)
    assert [p.holder for p in promoted] == ["user:3"]
    assert capacity.release(held.claim_id) == []
    assert capacity.counts(pool) == (2, 2, 1)
    assert capacity.position_in_line(second_in_line.claim_id) == 1


def test_leaving_the_line_moves_the_others_up(pool):
    capacity.take(pool, "user:1")
    capacity.take(pool, "user:2")
    waiting = [capacity.take(pool, f"user:{n}") for n in (3, 4, 5)]
    assert capacity.release(waiting[0].claim_id) == []  # no place was freed
    assert [capacity.position_in_line(w.claim_id) for w in waiting[1:]] == [1, 2]
    assert capacity.counts(pool) == (2, 2, 2)


def test_more_places_go_to_the_line_and_fewer_than_taken_is_refused(pool):
    for n in range(4):
        capacity.take(pool, f"user:{n}")
    assert [p.holder for p in capacity.set_capacity(pool, 3)] == ["user:2"]
    with pytest.raises(Conflict):
        capacity.set_capacity(pool, 2)
    assert capacity.counts(pool) == (3, 3, 1)


def test_the_database_refuses_more_taken_than_places(pool):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from portal.core.capacity import CapacityPool

    with pytest.raises(IntegrityError):
        db.session.execute(update(CapacityPool).where(CapacityPool.id == pool).values(taken=3))
        db.session.flush()
    db.session.rollback()


def test_the_same_pool_key_is_one_pool(ctx):
    assert capacity.ensure_pool("test:same", 5) == capacity.ensure_pool("test:same", 9)

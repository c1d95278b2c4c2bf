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


# --- take_in: the pool found (or made) by its key in the statement that takes the place --------------


def test_take_in_makes_the_pool_with_its_first_place_then_fills_it_and_lines_up(ctx):
    places = [capacity.take_in("test:visit", 2, f"user:{n}") for n in range(4)]
    assert [(p.status, p.position, p.in_line) for p in places] == [
        ("held", None, None),
        ("held", None, None),
        ("waiting", 1, 1),
        ("waiting", 2, 2),
    ]
    pool_id = capacity.ensure_pool("test:visit", 99)  # the key is one pool: its capacity stays 2
    assert capacity.counts(pool_id) == (2, 2, 2)
    with pytest.raises(Conflict):
        capacity.take_in("test:visit", 2, "user:3")  # waiting already
    assert capacity.counts(pool_id) == (2, 2, 2)


def test_take_in_without_a_line_is_full_or_a_place(ctx):
    assert capacity.take_in("test:limit", 1, "user:1", wait=False).status == "held"
    with pytest.raises(CapacityFull):
        capacity.take_in("test:limit", 1, "user:2", wait=False)
    with pytest.raises(Conflict):  # the holder's own claim: the better answer than "full"
        capacity.take_in("test:limit", 1, "user:1", wait=False)


def test_a_pool_of_no_places_is_never_made_with_one_taken(ctx):
    with pytest.raises(CapacityFull):
        capacity.take_in("test:none", 0, "user:1", wait=False)
    pool_id = capacity.ensure_pool("test:none", 0)
    assert capacity.counts(pool_id) == (0, 0, 0)


def test_a_resizing_take_follows_the_callers_number(ctx):
    """A per-person limit whose setting changes: the pool takes the new number as the place is
    taken; below what is taken already, it is full."""
    for n in range(2):
        capacity.take_in("test:person", 2, f"visit:{n}", wait=False, resize=True)
    pool_id = capacity.ensure_pool("test:person", 2)
    assert capacity.take_in("test:person", 3, "visit:2", wait=False, resize=True).status == "held"
    assert capacity.counts(pool_id) == (3, 3, 0)
    with pytest.raises(CapacityFull):  # the limit lowered to 1 with 3 taken: full, nothing undone
        capacity.take_in("test:person", 1, "visit:3", wait=False, resize=True)
    assert capacity.counts(pool_id) == (3, 3, 0)
    capacity.take(pool_id, "visit:4", wait=False, capacity=4)
    assert capacity.counts(pool_id) == (4, 4, 0)
    with pytest.raises(ValueError):
        capacity.take_in("test:person", 5, "visit:5", resize=True)  # a line and a moving capacity


def test_in_line_counts_only_those_still_waiting_ahead(pool):
    capacity.take(pool, "user:1")
    capacity.take(pool, "user:2")
    first, second = capacity.take(pool, "user:3"), capacity.take(pool, "user:4")
    capacity.release(first.claim_id)  # left the line: the next one is first now
    third = capacity.take(pool, "user:5")
    assert (second.in_line, third.in_line, third.position) == (2, 2, 3)
    assert capacity.position_in_line(third.claim_id) == 2
    assert capacity.position_in_line(capacity.take(pool, "user:6").claim_id) == 3


# --- A taker whose first statement found no place, but the pool changed before the line's ----------


@pytest.fixture
def first_update_misses(monkeypatch):
    """The first UPDATE of a take finds nothing — as when the pool was not committed yet (another
    taker was making it) or was full and a place was given back just after. ``take_in``'s first
    UPDATE (by key) finds nothing; ``take``'s (by id) finds nothing once."""
    from sqlalchemy import false, update

    from portal.core.capacity import CapacityPool

    pools = CapacityPool.__table__
    monkeypatch.setattr(
        capacity, "_TAKE_PLACE_IN", update(pools).where(false()).values(taken=pools.c.taken).returning(pools.c.id)
    )
    take_place, missed = capacity._take_place, []

    def missing_once(pool_id, places=None):
        if not missed:
            missed.append(pool_id)
            return False
        return take_place(pool_id, places)

    monkeypatch.setattr(capacity, "_take_place", missing_once)


def test_a_free_place_seen_under_the_lines_lock_is_taken_not_waited_for(pool, first_update_misses):
    """Without this, the first bookers of a new slot arriving together waited in line beside free
    places (the 100-booker test on PostgreSQL caught it: claims 5 and 7 waiting, 9 and 11 booked)."""
    place = capacity.take(pool, "user:1")
    assert place.status == "held"
    assert capacity.counts(pool) == (2, 1, 0)
    made_meanwhile = capacity.take_in("test:slot", 2, "user:2")
    assert made_meanwhile.status == "held"
    assert capacity.counts(pool) == (2, 2, 0)
    full = capacity.take_in("test:slot", 2, "user:3")
    assert (full.status, full.in_line) == ("waiting", 1)  # full under the lock: the line, as before

"""A process of its own taking or releasing places (tests/concurrency/test_capacity.py): each call
is one request's transaction — the write lock or row lock taken as a POST would."""

from __future__ import annotations


def run(database_url: str, action: str, pool_id: int, items: list, start_at: float) -> list:
    import time

    from portal import create_app
    from portal.core import capacity
    from portal.core.db import write_transaction
    from portal.core.errors import DomainError
    from portal.extensions import db

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    results = []
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the start line
        db.session.rollback()
        time.sleep(max(0.0, start_at - time.time()))
        for item in items:
            try:
                with write_transaction():
                    if action == "take":
                        place = capacity.take(pool_id, item)
                        results.append((item, place.status, place.position, time.time()))
                    else:
                        promoted = capacity.release(item)
                        results.append((item, [p.holder for p in promoted], None, time.time()))
                    db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                results.append((item, type(exc).__name__, None, time.time()))
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                db.session.rollback()
                results.append((item, f"error: {exc!r}"[:300], None, time.time()))
        db.engine.dispose()
    return results

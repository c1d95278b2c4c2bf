"""The demo data for the worker libraries: three libraries with about 2,000 titles and partner
stations; visits (one slot full, two waiting), reservations queued, being prepared and ready, loans
due soon and overdue — made through the services, loaded once however often it runs."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core import capacity
from portal.core.time import local_today
from portal.extensions import db
from portal.libraries.models import Library, LibraryBook, LibraryHold, LibraryLoan, LibraryPartnerStation, LibraryVisit
from portal.libraries.services import search


def test_the_demo_libraries_have_catalogues_visits_holds_and_loans(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # the second run adds nothing
    with app.app_context():
        libraries = db.session.scalars(select(Library).order_by(Library.id)).all()
        assert [lib.name for lib in libraries] == [
            "香坊区总工会职工书屋",
            "道里区中央大街职工书屋",
            "通河县总工会职工书屋",
        ]
        assert db.session.scalar(select(func.count(LibraryBook.id))) == 2000
        assert db.session.scalar(select(func.count()).select_from(LibraryPartnerStation)) >= 3
        visits = Counter(db.session.scalars(select(LibraryVisit.status)))
        assert visits == {"booked": 7, "waiting": 2}
        holds = Counter(db.session.scalars(select(LibraryHold.status)))
        assert holds == {"queued": 2, "allocated": 1, "ready": 1}
        zhang = db.session.scalar(select(User).where(User.phone == "13800000001"))
        queued = db.session.scalar(
            select(LibraryHold).where(LibraryHold.user_id == zhang.id, LibraryHold.status == "queued")
        )
        assert capacity.position_in_line(queued.claim_id) == 2
        today = local_today()
        open_loans = db.session.scalars(select(LibraryLoan).where(LibraryLoan.returned_at.is_(None))).all()
        assert sorted((loan.due_on - today).days for loan in open_loans) == [-11, -3, 3, 10]
        # The generated titles are searchable on the pages' own search.
        assert search.search("世界").total > 0

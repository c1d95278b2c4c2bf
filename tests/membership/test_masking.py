"""S3: what is shown without the logged reveal cannot be recombined into the ID number.

Every page that shows a masked ID number is rendered; none may carry the month and day of
birth in any format (with the masked number they narrow the ID down to a handful of
candidates), and the mask keeps only the region of issue and the check character.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import User
from portal.core import workflow
from portal.core.masking import age_on, mask_id_number
from portal.core.workflow import Application
from portal.extensions import db
from portal.membership import services
from tests.helpers import csrf_token, login_as, page_text, valid_id_number

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
# A birthday that is not today or next to it, so no timestamp on the page can look like it.
BIRTH = date(1990, 3, 15) if abs((TODAY.replace(year=1990) - date(1990, 3, 15)).days) > 2 else date(1990, 7, 21)
AGE = age_on(BIRTH, TODAY)


def _birth_formats(day: date) -> list[str]:
    month_en = day.strftime("%B")
    return [
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.month}月{day.day}日",
        day.isoformat(),
        f"{day.month:02d}-{day.day:02d}",
        f"{day.month}-{day.day}",
        f"{day.month:02d}/{day.day:02d}",
        f"{day.day:02d}/{day.month:02d}",
        f"{day.month}/{day.day}/",
        f"{month_en} {day.day}",
        f"{month_en[:3]} {day.day}",
        f"{day.day} {month_en}",
        day.strftime("%Y%m%d"),
        day.strftime("%m%d") + "*",
    ]


def assert_no_birth_month_or_day(html: str, where: str) -> None:
    for text in _birth_formats(BIRTH):
        assert text not in html, f"{where} shows the birth date as {text!r}"


def test_the_mask_keeps_only_the_region_and_the_check_character():
    id_number = valid_id_number(birth="19900315", seq="123")
    masked = mask_id_number(id_number)
    assert masked == id_number[:4] + "*" * 13 + id_number[-1]
    assert id_number[-4:-1] not in masked.replace("*", "")


@pytest.fixture
def member_and_staff(app, make_user, make_application, tree):
    id_number = valid_id_number(birth=BIRTH.strftime("%Y%m%d"), seq="123")
    user = make_user(name="赵磊", id_number=id_number)
    staff = make_user("staff", union=tree["county_a1"])
    application = make_application(user, tree["grassroots_a1"])
    with app.app_context():
        workflow.decide(db.session.get(Application, application.id), db.session.get(User, staff.id), "approve")
        db.session.commit()
    return user, staff, application, id_number


def test_no_page_showing_the_masked_id_shows_the_month_and_day_of_birth(app, member_and_staff, make_user, tree):
    user, staff, application, id_number = member_and_staff
    masked = mask_id_number(id_number)
    year_and_age = f"{BIRTH.year}年生，{AGE}岁"
    member = login_as(app.test_client(), user)
    reviewer = login_as(app.test_client(), staff)

    # The member's own pages.
    pages = {
        "profile": (member, "/me", True),
        "profile edit": (member, "/me/edit", False),
        "member card": (member, "/me/card", False),
    }
    card_page = page_text(member.get("/me/card"))
    pages["card image"] = (member, re.search(r'src="(/me/card\.svg[^"]*)"', card_page).group(1), False)
    # A transfer request, to see its review page too.
    r = member.post(
        "/membership/transfer/form?union=GA2",
        data={
            "union_code": "GA2",
            "reason": "",
            "csrf_token": csrf_token(member, "/membership/transfer/form?union=GA2"),
        },
    )
    assert r.status_code == 303, page_text(r)
    transfer_id = r.headers["Location"].rsplit("/", 1)[1]
    transfer_reviewer = login_as(app.test_client(), make_user("staff", union=tree["county_a2"]))
    pages["staff: membership review"] = (reviewer, f"/staff/reviews/{application.public_id}", True)
    pages["staff: transfer review"] = (transfer_reviewer, f"/staff/reviews/{transfer_id}", True)
    pages["staff: queue"] = (transfer_reviewer, "/staff/reviews?status=all", False)
    with app.app_context():
        token = services.card_token(services.membership_of(db.session.get(User, user.id)))
    pages["verify (public)"] = (app.test_client(), f"/verify/{token}", False)

    for where, (client, url, shows_birth_year) in pages.items():
        r = client.get(url)
        assert r.status_code == 200, (where, r.status_code)
        html = page_text(r)
        assert id_number not in html and id_number[-4:] not in html, where
        assert_no_birth_month_or_day(html, where)
        if shows_birth_year:
            assert masked in html, where
            assert year_and_age in html, where


def test_the_apply_form_shows_birth_year_and_age_of_a_bound_id(app, make_user, tree):
    user = make_user(name="王芳", id_number=valid_id_number(birth=BIRTH.strftime("%Y%m%d")))
    client = login_as(app.test_client(), user)
    html = page_text(client.get("/membership/apply/form?union=GA1"))
    assert f"{BIRTH.year}年生，{AGE}岁" in html
    assert_no_birth_month_or_day(html, "apply form")


def test_english_pages_show_the_birth_year_and_age(app, member_and_staff):
    user = member_and_staff[0]
    client = login_as(app.test_client(), user)
    html = page_text(client.get("/me?lang=en"))
    assert f"born {BIRTH.year}, age {AGE}" in html
    assert_no_birth_month_or_day(html, "profile (English)")

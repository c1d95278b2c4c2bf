"""A time reads as one unit: "8:54 AM" never breaks across two lines (issue 7, UX14)."""

from datetime import UTC, datetime

from flask import render_template_string
from flask_babel import force_locale

from tests.helpers import login_as, page_text, valid_id_number

MOMENT = datetime(2026, 11, 25, 0, 54, tzinfo=UTC)  # 8:54 in Shanghai


def test_the_template_filters_keep_the_time_on_one_line(app):
    with app.test_request_context():
        with force_locale("en"):
            assert render_template_string("{{ t | datetime }}", t=MOMENT) == (
                'Nov 25, 2026 <span class="nowrap">8:54\u202fAM</span>'
            )
            assert render_template_string("{{ t | time }}", t=MOMENT) == '<span class="nowrap">8:54\u202fAM</span>'
        with force_locale("zh_CN"):
            assert render_template_string("{{ t | datetime }}", t=MOMENT) == (
                '2026年11月25日 <span class="nowrap">08:54</span>'
            )
        # Inside a translated sentence too, and nothing else is let through unescaped.
        html = render_template_string('{{ _("Resolved %(when)s", when=t | datetime) }} {{ "<b>" }}', t=MOMENT)
        assert '<span class="nowrap">08:54</span>' in html and "&lt;b&gt;" in html


def test_an_english_page_shows_its_times_unbroken(client, make_user, make_application, tree):
    user = make_user(id_number=valid_id_number())
    application = make_application(user, tree["grassroots_a1"])
    login_as(client, user)
    html = page_text(client.get(f"/membership/applications/{application.public_id}?lang=en"))
    assert '<span class="nowrap">' in html
    assert "AM</span>" in html or "PM</span>" in html


def test_the_stylesheet_never_breaks_inside_a_time(client):
    with client.get("/static/css/app.css") as r:
        css = r.get_data(as_text=True)
    assert ".nowrap { white-space: nowrap; }" in css

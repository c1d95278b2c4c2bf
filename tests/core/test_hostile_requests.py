"""Requests an attacker (or a broken client) sends get a clear 4xx, never a 500.

The full walk over every route lives in tests/test_hostile_input.py; these are the
app-wide guards it relies on.
"""

import pytest

from tests.helpers import login_as, page_text

API = "/api/v1/stations/nearby?lat=45.7&lng=126.6"


@pytest.mark.parametrize("value", ["²", "¹", "١٢", "1e2", "99999999999999999999999", "-1"])
@pytest.mark.parametrize("name", ["limit", "radius_m"])
def test_api_integers_refuse_unicode_digits_and_giants_with_400(client, name, value):
    r = client.get(f"{API}&{name}={value}")
    assert r.status_code == 400
    assert name in r.get_json()["error"]


@pytest.mark.parametrize("value", ["١٢", "nan", "inf", "1e308", "45.7\x00", "４５.７"])
def test_api_coordinates_are_ascii_decimals_only(client, value):
    r = client.get(f"/api/v1/stations/nearby?lat={value}&lng=126.6")
    assert r.status_code == (200 if value == "４５.７" else 400)


@pytest.mark.parametrize("path", ["/stations/{n}", "/stations/{n}/report"])
@pytest.mark.parametrize("n", [str(2**31), str(2**63), str(2**64), "9" * 40, "١٢", "²"])
def test_ids_beyond_the_id_columns_or_in_other_digits_are_404(client, path, n):
    r = client.get(path.format(n=n))
    assert r.status_code == 404


def test_the_largest_id_a_column_holds_is_an_ordinary_404(client):
    assert client.get(f"/stations/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize("url", ["/stations?q=%00", "/stations?region=23%00", "/?lang=zh%00", "/stations/1%00"])
def test_a_nul_byte_anywhere_in_the_request_is_a_400_with_a_reason(client, url):
    r = client.get(url)
    assert r.status_code == 400
    assert "不允许" in page_text(r)


def test_a_nul_byte_in_a_form_field_is_a_400(client):
    r = client.post("/auth/login", data={"phone": "138\x00", "password": "x"})
    assert r.status_code == 400


@pytest.mark.parametrize("page", ["²", "١", "0", "-3", "99999999999999999999", "abc"])
def test_bad_page_numbers_are_a_clear_4xx(client, make_user, page):
    login_as(client, make_user())
    r = client.get(f"/messages?page={page}")
    assert 400 <= r.status_code < 500
    assert "page" in page_text(r)

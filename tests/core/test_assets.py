"""Static files: cached for a year under content-hashed names, precompressed, and HTML compressed."""

import os
import re
from pathlib import Path

import pytest

from portal.core.assets import build_manifest, compress_static

ASSET = re.compile(r'(?:href|src)="(/static/[^"#?]+)')


@pytest.fixture(scope="module")
def compressed_client(app, database_url):
    """A client of an app started after the .br/.gz copies exist (WhiteNoise looks at start-up)."""
    from portal import create_app

    compress_static(Path(app.static_folder))
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url}).test_client()


def asset_urls(client, path="/"):
    return sorted(set(ASSET.findall(client.get(path).get_data(as_text=True))))


def test_pages_link_assets_by_content_hash_and_they_are_cached_for_a_year(client):
    urls = asset_urls(client)
    assert any(u.endswith(".css") for u in urls) and any(u.endswith(".js") for u in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.[a-z]+$", url), url
        with client.get(url) as r:
            assert r.status_code == 200, url
            cache = r.headers["Cache-Control"]
            assert "immutable" in cache and "max-age=315360000" in cache, (url, cache)
            assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_a_name_with_a_stale_hash_is_not_served(client):
    css = next(u for u in asset_urls(client) if u.endswith(".css"))
    assert client.get(re.sub(r"\.[0-9a-f]{10}\.", ".0000000000.", css)).status_code == 404


def test_plain_names_still_work_but_are_not_cached_for_long(client):
    with client.get("/static/css/app.css") as r:
        assert r.status_code == 200 and "immutable" not in r.headers["Cache-Control"]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_sent_precompressed(compressed_client, encoding):
    client = compressed_client
    css = next(u for u in asset_urls(client) if u.endswith(".css"))
    with client.get(css) as plain, client.get(css, headers={"Accept-Encoding": encoding}) as r:
        assert r.headers.get("Content-Encoding") == encoding
        assert len(r.data) < len(plain.data) / 3
        assert "Accept-Encoding" in r.headers.get("Vary", "")


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_html_is_compressed_for_browsers_that_accept_it(client, encoding):
    plain = client.get("/")
    r = client.get("/", headers={"Accept-Encoding": encoding})
    assert r.status_code == 200 and r.headers.get("Content-Encoding") == encoding
    assert len(r.data) < len(plain.data) / 2


def test_changing_a_file_changes_its_name(tmp_path):
    (tmp_path / "css").mkdir()
    css = tmp_path / "css" / "a.css"
    css.write_text("body{color:red}")
    first = build_manifest(tmp_path)["css/a.css"]
    css.write_text("body{color:blue}")
    second = build_manifest(tmp_path)["css/a.css"]
    assert first != second and first.startswith("css/a.") and first.endswith(".css")


def test_a_compressed_copy_older_than_its_file_is_dropped_at_start(tmp_path):
    """Edit a stylesheet after `flask assets compress`: the browser must get the new one."""
    from portal.core import assets

    (tmp_path / "css").mkdir()
    css = tmp_path / "css" / "app.css"
    css.write_text("body{color:red}" * 100)
    compress_static(tmp_path)
    stale = css.with_name("app.css.br")
    assert stale.exists()
    css.write_text("body{color:blue}" * 100)
    for copy in (stale, css.with_name("app.css.gz")):
        os.utime(copy, (css.stat().st_mtime - 10,) * 2)
    assert assets.drop_stale_copies(tmp_path) >= 1 and not stale.exists()
    assert css.with_name("app.css.gz").exists() is False  # the gzip copy was just as old

"""Uploads: accepted by content, cleaned of metadata, sealed at rest, served with safe headers,
staff views traced — and every refusal a clear message with nothing left behind.

Request-level tests go through a small app of their own (same database, same configuration) with
two test-only routes, so the portal's route matrix is untouched.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Blueprint, jsonify, request
from flask_babel import force_locale
from flask_login import current_user, login_required
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.core import files
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed, NotFound
from portal.core.files import images, sealed
from portal.core.files.storage import KEY_PATTERN, LocalStorage, check_outside_web_root
from portal.core.validators import InvalidInput
from portal.extensions import db
from tests.helpers import login_as, valid_id_number

MB = 1024 * 1024
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="45,44.462N"'
    b' exif:GPSLongitude="126,39.972E"/></rdf:RDF></x:xmpmeta>'
)


# --- Files to upload ------------------------------------------------------------------------------


def gps_exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 44.0, 27.72)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 39.0, 58.32)
    return exif.tobytes()


def photo(size=(60, 40), **save) -> Image.Image:
    """A small image whose left half is red and right half blue (so rotations show)."""
    image = Image.new("RGB", size, (30, 60, 200))
    image.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    return image


def jpeg(size=(60, 40), **save) -> bytes:
    out = io.BytesIO()
    photo(size).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png(size=(60, 40), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    photo(size).convert(mode).save(out, "PNG", **save)
    return out.getvalue()


def pdf(padding: int = 0) -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%" + b"x" * padding + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return body


def pdf_of_size(size: int) -> bytes:
    return pdf(size - len(pdf(0)))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, *, full_data: bool) -> bytes:
    """A greyscale PNG declaring width × height pixels; with full_data its zero rows are all there
    (a real bomb: tens of KB that decode to width × height bytes)."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    compressor = zlib.compressobj(9)
    rows = 1 if not full_data else height
    row = b"\x00" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def heic(**save) -> bytes:
    try:
        out = io.BytesIO()
        photo((48, 32)).save(out, "HEIF", quality=60, **save)
        return out.getvalue()
    except Exception:  # no HEVC encoder in this build of pillow-heif: the committed fixture
        return (FIXTURES / "tiny.heic").read_bytes()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, at = [], 8
    while at < len(data):
        length = struct.unpack(">I", data[at : at + 4])[0]
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    return kinds


# --- Set-up -------------------------------------------------------------------------------------


@pytest.fixture
def ctx(ctx):
    """Messages in English (the message ids): what is asserted is the rule, not the catalogue."""
    with force_locale("en"):
        yield


@pytest.fixture
def root(app, tmp_path):
    """A fresh upload directory for each test, for the portal's app and the test app alike."""
    path = tmp_path / "uploads"
    previous = app.extensions.get("portal_file_storage")
    files.set_storage(app, LocalStorage(path))
    yield path
    if previous is not None:
        files.set_storage(app, previous)


def blobs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def nothing_under_static():
    """Whatever a test uploads, nothing lands in the web root."""
    before = sorted(p for p in STATIC.rglob("*") if p.suffix not in (".br", ".gz"))
    yield
    assert sorted(p for p in STATIC.rglob("*") if p.suffix not in (".br", ".gz")) == before


@pytest.fixture
def people(tree, make_user):
    return {
        "applicant": make_user(name="申请人", id_number=valid_id_number()),
        "staff": make_user(role="staff", union=tree["county_a1"], name="县工会"),
        "other": make_user(name="旁人"),
    }


@pytest.fixture
def application(make_application, people, tree):
    return make_application(people["applicant"], tree["grassroots_a1"])


def _user(user):
    from portal.accounts.models import User

    return db.session.get(User, user.id)


def _application(application_or_id):
    from portal.core.workflow import Application

    return db.session.get(Application, getattr(application_or_id, "id", application_or_id))


def stored_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(files.StoredFile))


def plaintext(stored, *, thumbnail: bool = False) -> bytes:
    key = sealed.unwrap_key(stored.wrapped_key)
    storage = files.get_storage()
    blob_key = stored.thumbnail_key if thumbnail else stored.storage_key
    role = sealed.ROLE_THUMBNAIL if thumbnail else sealed.ROLE_FILE
    with storage.open(blob_key) as source:
        return b"".join(sealed.open_sealed(source, key, role))


def accept(data, name="photo.jpg", *, people, application, purpose="document", **kwargs):
    return files.accept_uploads(
        [upload(data, name)],
        owner=_user(people["applicant"]),
        purpose=purpose,
        application=_application(application),
        **kwargs,
    )[0]


# The test app: the portal plus two routes that use the API as a module would.

test_routes = Blueprint("files_test", __name__)


@test_routes.post("/_test/applications/<int:application_id>/files")
@login_required
@files.allow_large_upload
def upload_route(application_id):
    application = _application(application_id)
    try:
        stored = files.accept_uploads(
            request.files.getlist("files"),
            owner=current_user,
            purpose="document",
            application=application,
            label=request.form.get("label"),
        )
    except DomainError as exc:
        db.session.rollback()
        return str(exc.message), exc.status_code
    db.session.commit()
    return jsonify([s.public_id for s in stored]), 201


@test_routes.post("/_test/small")
@files.allow_large_upload(max_request_bytes=64 * 1024)
def small_route():
    return str(len(request.files.getlist("files")))


@test_routes.post("/_test/plain")
def plain_route():
    return str(len(request.files.getlist("files")))


@test_routes.get("/_test/applications/<int:application_id>/files/<public_id>")
@login_required
def show_route(application_id, public_id):
    application = _application(application_id)
    stored = files.load_file(application, public_id)
    return files.send(stored, current_user, thumbnail=request.args.get("size") == "thumb")


@pytest.fixture(scope="module")
def upload_app(app, database_url):
    from portal import create_app

    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False})
    other.register_blueprint(test_routes)
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def web(upload_app, root):
    files.set_storage(upload_app, LocalStorage(root))
    return upload_app.test_client()


def post_multipart(client, url, parts, **data):
    """POST files as a browser does. The body is built in memory: the test client would spool a
    large one to a temporary file that nothing closes (a ResourceWarning, an error here)."""
    payload = {
        "files": [FileStorage(io.BytesIO(content), name, content_type=kind) for content, name, kind in parts],
        **data,
    }
    boundary, body = encode_multipart(
        MultiDict([(k, v) for k, vs in payload.items() for v in (vs if isinstance(vs, list) else [vs])])
    )
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def post_files(client, application, parts, **data):
    return post_multipart(client, f"/_test/applications/{application.id}/files?lang=en", parts, **data)


# --- Accepted by content, never by name ------------------------------------------------------------

HOSTILE = {
    "html": b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "php": b"<?php system($_GET['c']); ?>",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_html_svg_and_php_renamed_jpg_are_refused_by_their_content(web, root, people, application, kind):
    login_as(web, people["applicant"])
    response = post_files(web, application, [(HOSTILE[kind], "photo.jpg", "image/jpeg")])
    assert response.status_code == 422
    assert response.get_data(as_text=True) == "“photo.jpg” is not a photo (JPG, PNG, HEIC) or a PDF file."
    assert blobs(root) == []
    with web.application.app_context():
        assert stored_rows() == 0


@pytest.mark.parametrize("head", [b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"BM", b"\x00\x00\x00\x1cftypavif"])
def test_other_image_formats_are_refused(ctx, root, people, application, head):
    with pytest.raises(InvalidInput, match="is not a photo"):
        accept(head + b"\x00" * 64, "x.jpg", people=people, application=application)
    assert blobs(root) == []


@pytest.mark.parametrize("where", ["comment", "appended"])
def test_a_jpeg_html_polyglot_is_stored_re_encoded_without_the_script(ctx, root, people, application, where):
    page = b"<html><script>alert(document.cookie)</script></html>"
    data = jpeg(comment=page) if where == "comment" else jpeg() + page
    assert page in data
    stored = accept(data, "polyglot.jpg", people=people, application=application)
    clean = plaintext(stored)
    assert stored.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(clean)).format == "JPEG"
    assert b"<script" not in clean and b"<html" not in clean
    assert clean != data


# --- Sizes and counts -------------------------------------------------------------------------------


def padded_jpeg(size: int) -> bytes:
    data = jpeg()
    return data + b"\x00" * (size - len(data))  # bytes after the end-of-image marker: still a JPEG


def test_exactly_ten_megabytes_is_accepted_and_one_byte_more_is_refused(web, root, people, application):
    login_as(web, people["applicant"])
    accepted = post_files(web, application, [(padded_jpeg(10 * MB), "ten.jpg", "image/jpeg")])
    assert accepted.status_code == 201, accepted.get_data(as_text=True)

    refused = post_files(web, application, [(padded_jpeg(10 * MB + 1), "big.jpg", "image/jpeg")])
    assert refused.status_code == 422
    assert refused.get_data(as_text=True) == "“big.jpg” is larger than 10 MB. Please send a smaller file."
    with web.application.app_context():
        assert stored_rows() == 1
    assert len(blobs(root)) == 2  # the accepted photo and its thumbnail


def test_a_file_over_the_limit_is_refused_without_reading_it_whole(ctx, root, people, application):
    class Endless(io.RawIOBase):
        read_so_far = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            Endless.read_so_far += len(buffer)
            buffer[:] = b"\xff" * len(buffer)
            return len(buffer)

    stream = io.BufferedReader(Endless())
    with pytest.raises(InvalidInput, match="is larger than 10 MB"):
        files.prepare_upload(FileStorage(stream=stream, filename="endless.jpg"))
    assert Endless.read_so_far < 11 * MB


def test_several_files_fit_one_request_only_on_an_upload_view(web, root, people, application):
    """Two 6 MB files are 12 MB: over MAX_CONTENT_LENGTH (10 MB) anywhere else, fine on an upload view."""
    login_as(web, people["applicant"])
    parts = [(pdf_of_size(6 * MB), "a.pdf", "application/pdf"), (pdf_of_size(6 * MB), "b.pdf", "application/pdf")]
    assert post_files(web, application, parts).status_code == 201
    assert post_multipart(web, "/_test/plain", parts).status_code == 413
    small = post_multipart(web, "/_test/small?lang=en", [(pdf_of_size(100 * 1024), "d.pdf", "application/pdf")])
    assert small.status_code == 413  # a view may also ask for a smaller limit: the friendly 413 page
    assert "too large" in small.get_data(as_text=True)
    assert post_multipart(web, "/_test/small", [(pdf_of_size(10 * 1024), "e.pdf", "application/pdf")]).data == b"1"


def test_a_twenty_first_file_is_refused(ctx, root, people, application):
    owner, app_row = _user(people["applicant"]), _application(application)
    twenty = files.accept_uploads(
        [upload(png(), f"p{i}.png") for i in range(20)], owner=owner, purpose="document", application=app_row
    )
    db.session.commit()
    assert len(twenty) == 20
    with pytest.raises(InvalidInput, match="at most 20 files"):
        files.accept_uploads([upload(png(), "p21.png")], owner=owner, purpose="document", application=app_row)
    # A module that prepares and records itself meets the same limit when recording.
    prepared = files.prepare_upload(upload(png(), "p21.png"))
    with pytest.raises(InvalidInput, match="at most 20 files"):
        files.record_upload(prepared, owner=owner, purpose="document", application=app_row)
    db.session.rollback()
    files.discard(prepared)
    assert len(blobs(root)) == 40  # twenty files and their thumbnails, no more

    # A removed file frees its place; other purposes have their own count.
    files.delete(twenty[0], owner)
    db.session.commit()
    files.accept_uploads([upload(png(), "again.png")], owner=owner, purpose="document", application=app_row)
    files.accept_uploads([upload(png(), "visit.png")], owner=owner, purpose="visit_photo", application=app_row)
    db.session.commit()
    assert files.count_files(app_row, "document") == 20


def test_a_batch_that_would_pass_the_limit_is_refused_before_any_work(ctx, root, people, application, monkeypatch):
    owner, app_row = _user(people["applicant"]), _application(application)
    files.accept_uploads(
        [upload(png(), f"p{i}.png") for i in range(19)], owner=owner, purpose="document", application=app_row
    )
    db.session.commit()
    monkeypatch.setattr(images, "clean_image", lambda *a, **k: pytest.fail("processed a refused batch"))
    with pytest.raises(InvalidInput, match="You can add 1 more files"):
        files.accept_uploads(
            [upload(png(), "a.png"), upload(png(), "b.png")], owner=owner, purpose="document", application=app_row
        )


def test_one_refused_file_refuses_the_batch_and_leaves_nothing(ctx, root, people, application):
    owner, app_row = _user(people["applicant"]), _application(application)
    with pytest.raises(InvalidInput, match="“notes.jpg” is not a photo"):
        files.accept_uploads(
            [upload(jpeg(), "good.jpg"), upload(pdf(), "good.pdf"), upload(b"plain text", "notes.jpg")],
            owner=owner,
            purpose="document",
            application=app_row,
        )
    db.session.rollback()
    assert blobs(root) == []
    assert stored_rows() == 0


def test_empty_and_missing_files(ctx, root, people, application):
    owner, app_row = _user(people["applicant"]), _application(application)
    nothing_chosen = FileStorage(stream=io.BytesIO(b""), filename="", content_type="application/octet-stream")
    assert files.accept_uploads([nothing_chosen], owner=owner, purpose="document", application=app_row) == []
    with pytest.raises(InvalidInput, match="“empty.pdf” is empty"):
        files.accept_uploads([upload(b"", "empty.pdf")], owner=owner, purpose="document", application=app_row)


@pytest.mark.parametrize(
    "data",
    [jpeg()[:200], png()[:60], b"%PDF-1.4\n1 0 obj\n", b"\xff\xd8\xff\xe0" + b"\x00" * 500],
    ids=["cut-jpeg", "cut-png", "pdf-without-end", "jpeg-header-only"],
)
def test_damaged_files_are_refused_clearly(ctx, root, people, application, data):
    with pytest.raises(InvalidInput, match="could not be read; it may be damaged"):
        accept(data, "damaged.jpg", people=people, application=application)
    assert blobs(root) == []


# --- Images: bombs, metadata, orientation -----------------------------------------------------------


def test_a_decompression_bomb_png_is_refused_before_decoding(ctx, root, people, application):
    bomb = png_bomb(10_000, 8_000, full_data=True)  # 80 MP: over our 60 MP, under Pillow's own 89 MP
    assert len(bomb) < 200_000
    with pytest.raises(InvalidInput, match="too many pixels"):
        accept(bomb, "bomb.png", people=people, application=application)
    huge = png_bomb(30_000, 30_000, full_data=False)  # 900 MP: Pillow's DecompressionBombError
    with pytest.raises(InvalidInput, match="too many pixels"):
        accept(huge, "huge.png", people=people, application=application)
    assert blobs(root) == []


def test_gps_exif_xmp_and_comments_are_stripped_and_the_photo_stays_upright(ctx, root, people, application):
    data = jpeg((60, 40), exif=gps_exif(orientation=6), xmp=XMP_WITH_GPS, comment=b"taken at home")
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo does carry a position
    stored = accept(data, "IMG_0001.JPG", people=people, application=application)
    clean = plaintext(stored)
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG"
    assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    for trace in (b"Exif", b"Apple", b"iPhone", b"xmpmeta", b"GPS", b"taken at home"):
        assert trace not in clean
    # Orientation 6 means "turn 90° clockwise to view": the stored photo is already turned.
    assert image.size == (40, 60)
    assert image.convert("RGB").getpixel((20, 5))[0] > 150  # red (the left half) is now on top


def test_png_stays_png_without_metadata_chunks(ctx, root, people, application):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Zhang San 13800000000")
    info.add_itxt("Comment", "<script>alert(1)</script>")
    data = png(pnginfo=info, exif=gps_exif(), dpi=(300, 300))
    assert {b"tEXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(data))
    stored = accept(data, "screenshot.png", people=people, application=application)
    clean = plaintext(stored)
    assert stored.content_type == "image/png"
    assert set(png_chunk_types(clean)) <= {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
    assert b"13800000000" not in clean and b"<script" not in clean


def test_transparent_and_palette_pngs_keep_their_look(ctx, root, people, application):
    transparent = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 0, 255, 100)).save(transparent, "PNG")
    stored = accept(transparent.getvalue(), "t.png", people=people, application=application)
    assert Image.open(io.BytesIO(plaintext(stored))).mode == "RGBA"
    palette = accept(png(mode="P"), "p.png", people=people, application=application)
    assert Image.open(io.BytesIO(plaintext(palette))).mode == "P"
    thumbnail = Image.open(io.BytesIO(plaintext(stored, thumbnail=True)))
    assert thumbnail.format == "JPEG" and thumbnail.mode == "RGB"


def test_heic_is_accepted_and_stored_as_jpeg_without_its_position(ctx, root, people, application):
    data = heic(exif=gps_exif())
    assert images.sniff(data[:64]) == images.HEIF
    stored = accept(data, "IMG_4242.HEIC", people=people, application=application)
    assert stored.content_type == "image/jpeg"
    assert stored.original_name == "IMG_4242.HEIC" and stored.download_name == "IMG_4242.jpg"
    clean = plaintext(stored)
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG" and image.size == (48, 32)
    assert not image.getexif()
    assert b"Apple" not in clean and b"ftyp" not in clean


def test_big_photos_are_scaled_down_and_thumbnails_are_small(app, ctx, root, people, application, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_IMAGE_MAX_SIDE", 500)
    stored = accept(jpeg((1600, 1200)), "big.jpg", people=people, application=application)
    assert Image.open(io.BytesIO(plaintext(stored))).size == (500, 375)
    thumbnail = Image.open(io.BytesIO(plaintext(stored, thumbnail=True)))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320


def test_thumbnails_for_images_and_not_for_pdfs(ctx, root, people, application):
    image = accept(jpeg((60, 40)), "a.jpg", people=people, application=application)
    document = accept(pdf(), "b.pdf", people=people, application=application)
    assert image.thumbnail_key and Image.open(io.BytesIO(plaintext(image, thumbnail=True))).size == (60, 40)
    assert document.thumbnail_key is None
    with pytest.raises(NotFound):
        files.send(document, _user(people["applicant"]), thumbnail=True)


def test_a_pdf_is_kept_as_sent(ctx, root, people, application):
    data = pdf(padding=300_000)
    stored = accept(data, "收入证明.pdf", people=people, application=application, label="收入证明")
    assert stored.content_type == "application/pdf" and stored.size == len(data)
    assert plaintext(stored) == data
    import hashlib

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.label == "收入证明" and stored.original_name == "收入证明.pdf"


# --- Names and places ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\x.png", "x.png"),
        ("C:\\Users\\张三\\Desktop\\身份证.jpg", "身份证.jpg"),
        ("..", "upload"),
        (".htaccess", "htaccess"),
        ("", "upload"),
        (None, "upload"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("a\x00b\r\nc.jpg", "ab c.jpg"),
        ("长" * 300 + ".jpeg", "长" * 95 + ".jpeg"),
    ],
)
def test_display_names_are_sanitised(raw, shown):
    assert files.display_name(raw) == shown
    assert len(files.display_name(raw)) <= 100


@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "..\\x.png", "/srv/../../root.jpg"])
def test_a_path_traversal_name_only_names_the_file(ctx, root, people, application, name):
    data = jpeg() if name.endswith(".jpg") else png()
    stored = accept(data, name, people=people, application=application)
    assert "/" not in stored.original_name and "\\" not in stored.original_name and ".." not in stored.original_name
    storage = files.get_storage()
    for key in (stored.storage_key, stored.thumbnail_key):
        assert KEY_PATTERN.fullmatch(key)
        path = storage.path_for(key)
        assert path.is_relative_to(root.resolve()) and path.exists()
        assert stored.original_name not in str(path)
    assert not Path("/etc/passwd.jpg").exists() and not (root.parent / "x.png").exists()
    assert {p.parent.parent for p in blobs(root)} == {root}


def test_storage_refuses_keys_that_are_not_its_own(root):
    storage = LocalStorage(root)
    for key in ("../../etc/passwd", "a" * 31, "a" * 32 + "/", "..", ""):
        with pytest.raises(ValueError):
            storage.path_for(key)


def test_uploads_may_not_live_under_the_web_root(app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(Path(app.static_folder) / "uploads"))
    with pytest.raises(RuntimeError, match="outside the static folder"):
        check_outside_web_root(app)
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", None)
    check_outside_web_root(app)  # the default, <instance>/uploads


# --- Sealed at rest -------------------------------------------------------------------------------


def test_the_blob_on_disk_is_not_the_plaintext(ctx, root, people, application):
    photo_row = accept(jpeg((200, 150)), "a.jpg", people=people, application=application)
    pdf_row = accept(pdf(padding=100_000), "b.pdf", people=people, application=application)
    storage = files.get_storage()
    for row in (photo_row, pdf_row):
        clear = plaintext(row)
        blob = storage.path_for(row.storage_key).read_bytes()
        assert not blob.startswith((b"\xff\xd8", b"%PDF")) and blob.startswith(sealed.MAGIC)
        assert clear[:16] not in blob and clear[1000:1032] not in blob and clear[-32:] not in blob
        assert (storage.path_for(row.storage_key).stat().st_mode & 0o077) == 0  # only the app's user reads it


def _sealed_blob(data: bytes, role=sealed.ROLE_FILE) -> tuple[bytes, bytes]:
    key = sealed.new_data_key()
    out = io.BytesIO()
    writer = sealed.SealingWriter(out, key, role)
    writer.write(data)
    writer.finish()
    return out.getvalue(), key


def _open(blob: bytes, key: bytes, role=sealed.ROLE_FILE) -> bytes:
    return b"".join(sealed.open_sealed(io.BytesIO(blob), key, role))


@pytest.mark.parametrize("size", [0, 1, sealed.CHUNK - 1, sealed.CHUNK, sealed.CHUNK + 1, 3 * sealed.CHUNK])
def test_sealing_round_trips_at_every_chunk_boundary(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    blob, key = _sealed_blob(data)
    assert _open(blob, key) == data


def _swap_chunks(blob: bytes, a: int, b: int) -> bytes:
    head, body = blob[: sealed.HEADER_BYTES], blob[sealed.HEADER_BYTES :]
    chunks = [body[i : i + sealed.SEALED_CHUNK] for i in range(0, len(body), sealed.SEALED_CHUNK)]
    chunks[a], chunks[b] = chunks[b], chunks[a]
    return head + b"".join(chunks)


TAMPERING = {
    "flipped byte": lambda blob: blob[:70_000] + bytes([blob[70_000] ^ 1]) + blob[70_001:],
    "flipped header": lambda blob: blob[:5] + bytes([blob[5] ^ 1]) + blob[6:],
    "cut at a chunk boundary": lambda blob: blob[: sealed.HEADER_BYTES + 2 * sealed.SEALED_CHUNK],
    "cut inside a chunk": lambda blob: blob[:-100],
    "last chunk dropped": lambda blob: blob[: sealed.HEADER_BYTES + 3 * sealed.SEALED_CHUNK],
    "chunks swapped": lambda blob: _swap_chunks(blob, 0, 1),
    "byte appended": lambda blob: blob + b"\x00",
    "header only": lambda blob: blob[: sealed.HEADER_BYTES],
    "not a blob": lambda blob: b"%PDF-1.4" + blob[8:],
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_a_tampered_or_truncated_blob_fails_to_open(how):
    data = bytes(range(256)) * 1000  # 256,000 bytes: four chunks
    blob, key = _sealed_blob(data)
    with pytest.raises(sealed.BlobCorrupted):
        _open(TAMPERING[how](blob), key)


def test_a_blob_opens_only_with_its_own_key_and_role():
    blob, key = _sealed_blob(b"thumbnail bytes", role=sealed.ROLE_THUMBNAIL)
    with pytest.raises(sealed.BlobCorrupted):
        _open(blob, key, sealed.ROLE_FILE)
    with pytest.raises(sealed.BlobCorrupted):
        _open(blob, sealed.new_data_key(), sealed.ROLE_THUMBNAIL)


def test_serving_a_damaged_blob_fails_loudly(ctx, root, people, application):
    stored = accept(pdf(padding=200_000), "b.pdf", people=people, application=application)
    db.session.commit()
    path = files.get_storage().path_for(stored.storage_key)
    original = path.read_bytes()
    owner = _user(people["applicant"])
    path.write_bytes(TAMPERING["flipped header"](original))  # the first chunk: before the response starts
    with pytest.raises(sealed.BlobCorrupted):
        files.send(stored, owner)
    path.write_bytes(TAMPERING["cut at a chunk boundary"](original))  # later: the response is cut short
    response = files.send(stored, owner)
    with pytest.raises(sealed.BlobCorrupted):
        b"".join(response.response)
    response.close()


# --- Serving and its trace ---------------------------------------------------------------------------


def file_views() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "file.viewed").order_by(AuditEvent.id))
    )


def test_send_sets_headers_that_keep_the_file_a_file(web, root, people, application):
    login_as(web, people["applicant"])
    data = jpeg()
    (public_id,) = post_files(web, application, [(data, "身份证 正面.jpg", "text/html")]).get_json()
    response = web.get(f"/_test/applications/{application.id}/files/{public_id}", buffered=True)
    assert response.status_code == 200
    headers = response.headers
    assert headers["Content-Type"] == "image/jpeg"  # what was sniffed and stored, not what was sent
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("inline; ")
    assert (
        disposition
        == "inline; filename=\"file.jpg\"; filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%20%E6%AD%A3%E9%9D%A2.jpg"
    )
    assert re.fullmatch(r'inline; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8\'\'[A-Za-z0-9%._~-]+', disposition)
    assert int(headers["Content-Length"]) == len(response.data)
    assert Image.open(io.BytesIO(response.data)).format == "JPEG"
    thumbnail = web.get(f"/_test/applications/{application.id}/files/{public_id}?size=thumb", buffered=True)
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    assert thumbnail.headers["Content-Security-Policy"] == csp


@pytest.mark.parametrize("name", ['a"b.pdf', "x\r\nSet-Cookie: y=1.pdf", "说明;filename=evil.pdf", "%00.pdf"])
def test_content_disposition_cannot_be_broken_out_of(name):
    value = files.content_disposition(name)
    assert "\r" not in value and "\n" not in value
    fallback, encoded = re.fullmatch(
        r'inline; filename="([A-Za-z0-9._-]+)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)', value
    ).groups()
    from urllib.parse import unquote

    assert unquote(encoded) == name


def test_staff_views_are_audited_and_the_owners_are_not(web, root, people, application, tree):
    login_as(web, people["applicant"])
    (public_id,) = post_files(web, application, [(jpeg(), "a.jpg", "image/jpeg")]).get_json()
    url = f"/_test/applications/{application.id}/files/{public_id}"
    assert web.get(url, buffered=True).status_code == 200
    assert web.get(url + "?size=thumb", buffered=True).status_code == 200
    with web.application.app_context():
        assert file_views() == []

    staff = web.application.test_client()
    login_as(staff, people["staff"])
    assert staff.get(url, buffered=True).status_code == 200
    assert staff.get(url + "?size=thumb", buffered=True).status_code == 200
    with web.application.app_context():
        views = file_views()
        stored = db.session.scalars(select(files.StoredFile)).one()
        assert [(v.actor_id, v.subject_type, v.subject_id, v.union_id, v.note) for v in views] == [
            (people["staff"].id, "stored_files", str(stored.id), tree["grassroots_a1"].id, None),
            (people["staff"].id, "stored_files", str(stored.id), tree["grassroots_a1"].id, "thumbnail"),
        ]


def test_load_file_finds_only_live_files_of_that_application(
    ctx, root, people, application, make_application, make_user, tree
):
    other = make_application(make_user(name="另一位", id_number=valid_id_number()), tree["grassroots_a1b"])
    stored = accept(jpeg(), "a.jpg", people=people, application=application)
    db.session.commit()
    assert files.load_file(_application(application), stored.public_id).id == stored.id
    assert files.load_file(_application(application), stored.public_id, purpose="document").id == stored.id
    for app_row, public_id, purpose in [
        (_application(other), stored.public_id, None),  # another application's file: as if it did not exist
        (_application(application), stored.public_id, "visit_photo"),
        (_application(application), "nope", None),
        (_application(application), "x" * 300, None),
        (_application(application), "../" + stored.public_id, None),
    ]:
        with pytest.raises(NotFound):
            files.load_file(app_row, public_id, purpose=purpose)
    assert [f.id for f in files.files_of(_application(application))] == [stored.id]
    assert files.files_of(_application(other)) == []


# --- Removing, and blobs following their rows -------------------------------------------------------


def test_the_uploader_removes_a_file_while_the_application_is_open(ctx, root, people, application):
    stored = accept(jpeg(), "a.jpg", people=people, application=application)
    db.session.commit()
    with pytest.raises(NotAllowed):
        files.delete(stored, _user(people["other"]))
    with pytest.raises(NotAllowed):
        files.delete(stored, _user(people["staff"]))
    owner = _user(people["applicant"])
    files.delete(stored, owner)
    assert len(blobs(root)) == 2  # not before the commit: a rollback would need them
    db.session.commit()
    assert blobs(root) == []
    row = db.session.get(files.StoredFile, stored.id)
    assert row.deleted_at is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "file.deleted")).all()
    assert [(e.actor_id, e.subject_id) for e in events] == [(owner.id, str(stored.id))]
    with pytest.raises(NotFound):
        files.load_file(_application(application), stored.public_id)
    with pytest.raises(NotFound):
        files.delete(row, owner)  # already removed


def test_a_removal_that_rolls_back_keeps_the_blobs(ctx, root, people, application):
    stored = accept(jpeg(), "a.jpg", people=people, application=application)
    db.session.commit()
    files.delete(stored, _user(people["applicant"]))
    db.session.rollback()
    assert len(blobs(root)) == 2
    assert plaintext(db.session.get(files.StoredFile, stored.id))


def test_files_of_a_closed_application_stay(ctx, root, people, application):
    stored = accept(jpeg(), "a.jpg", people=people, application=application)
    _application(application).status = "approved"
    db.session.commit()
    with pytest.raises(NotAllowed):
        files.delete(db.session.get(files.StoredFile, stored.id), _user(people["applicant"]))


def test_an_upload_whose_transaction_rolls_back_leaves_no_blob(ctx, root, people, application):
    accept(jpeg(), "a.jpg", people=people, application=application)
    assert len(blobs(root)) == 2
    db.session.rollback()
    assert blobs(root) == []
    accept(jpeg(), "b.jpg", people=people, application=application)
    db.session.commit()
    assert len(blobs(root)) == 2


def test_discard_removes_a_prepared_upload(ctx, root):
    prepared = files.prepare_upload(upload(jpeg(), "a.jpg"))
    assert len(blobs(root)) == 2
    files.discard(prepared)
    files.discard(prepared)
    assert blobs(root) == []


def test_the_sweep_removes_old_orphans_only(ctx, root, people, application):
    kept = accept(jpeg(), "a.jpg", people=people, application=application)
    db.session.commit()
    orphan = files.prepare_upload(upload(pdf(), "lost.pdf"))  # its process died before recording it
    assert files.sweep_orphans(utcnow()) == 0  # too young: may still be on its way
    assert files.sweep_orphans(utcnow() + timedelta(days=1)) == 1
    assert not files.get_storage().path_for(orphan.storage_key).exists()
    assert plaintext(db.session.get(files.StoredFile, kept.id))


# --- The write lock -----------------------------------------------------------------------------------


def test_images_are_processed_while_others_can_write(web, root, people, application, monkeypatch):
    """Lesson: on SQLite a write transaction holds the only write lock until it commits. While the
    photos are processed, another connection can take SQLite's write lock, or (PostgreSQL) update
    the application's row that recording will lock."""
    seen = []
    clean_image = images.clean_image

    def watching(*args, **kwargs):
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if db.engine.dialect.name == "sqlite":
                cursor.execute("PRAGMA busy_timeout=0")
                cursor.execute("BEGIN IMMEDIATE")  # "database is locked" at once if someone holds it
                cursor.execute("ROLLBACK")
            else:
                cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute("UPDATE applications SET version = version WHERE id = %s", (application.id,))
                raw.rollback()
            seen.append("free")
        finally:
            raw.close()
        return clean_image(*args, **kwargs)

    monkeypatch.setattr(images, "clean_image", watching)
    login_as(web, people["applicant"])
    response = post_files(web, application, [(jpeg(), "a.jpg", "image/jpeg"), (png(), "b.png", "image/png")])
    assert response.status_code == 201
    assert seen == ["free", "free"]


# --- Pages ----------------------------------------------------------------------------------------------


def test_the_macros_render_an_accessible_chooser_and_a_list(app, ctx, root, people, application):
    from flask import render_template_string

    image = accept(jpeg(), "a.jpg", people=people, application=application, label="收入证明")
    document = accept(pdf(), "b.pdf", people=people, application=application)
    template = (
        '{% from "macros/files.html" import file_input, file_list %}'
        '{{ file_input("documents", "Add photos or PDFs", hint="Income proof") }}'
        "{{ file_list(files, url, remove) }}"
    )
    with app.test_request_context("/?lang=en"):
        html = render_template_string(
            template,
            files=[image, document],
            url=lambda f, thumbnail=False: f"/f/{f.public_id}" + ("?size=thumb" if thumbnail else ""),
            remove=lambda f: f"/f/{f.public_id}/delete" if f.content_type == "application/pdf" else None,
        )
    assert 'type="file"' in html and 'multiple accept="image/*,application/pdf"' in html
    assert '<label for="documents-input">Add photos or PDFs</label>' in html
    assert 'aria-describedby="documents-input-hint"' in html and "up to 10 MB each, at most 20 files" in html
    assert f'src="/f/{image.public_id}?size=thumb"' in html and f"/f/{document.public_id}?size=thumb" not in html
    assert "收入证明" in html and re.search(r"a\.jpg · [0-9]+ KB", html)
    assert html.count('action="/f/') == 1 and 'name="csrf_token"' in html
    assert "style=" not in html and "<script" not in html


def test_commit_with_uploads_is_all_or_nothing(ctx, root, people, application):
    """A refusal after the files are prepared (the service says no) or while preparing them (the
    second file is not a photo) leaves no blob and no row; a success commits files and work together."""
    owner = _user(people["applicant"])

    def refused(prepared):
        for item in prepared:
            files.record_upload(item, owner=owner, purpose="document", application=_application(application))
        raise NotAllowed("no")

    with pytest.raises(NotAllowed):
        files.commit_with_uploads([upload(jpeg(), "a.jpg"), upload(pdf(), "b.pdf")], refused)
    assert blobs(root) == []
    with pytest.raises(DomainError):
        files.commit_with_uploads([upload(jpeg(), "a.jpg"), upload(b"<html>", "b.jpg")], refused)
    assert blobs(root) == []
    assert db.session.scalar(select(func.count()).select_from(files.StoredFile)) == 0

    def recorded(prepared):
        return [
            files.record_upload(p, owner=owner, purpose="document", application=_application(application))
            for p in prepared
        ]

    stored = files.commit_with_uploads([upload(jpeg(), "a.jpg")], recorded)
    db.session.rollback()  # committed already: nothing to undo
    assert db.session.get(files.StoredFile, stored[0].id) is not None and len(blobs(root)) == 2

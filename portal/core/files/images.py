"""What an upload is (by its first bytes), and a clean re-encoding of the images among them.

Nothing of an uploaded image survives but its pixels: it is decoded, turned upright (its EXIF
orientation applied), converted to sRGB when it carries a colour profile, and encoded again with
no metadata at all — no EXIF (GPS position, camera, time), no XMP, no comments, no text chunks,
no colour profile. Bytes appended to the file or hidden in a comment segment (a JPEG that is
also an HTML page) are gone with it. HEIC/HEIF (iPhone photos) become JPEG; PNG stays PNG.

Decompression bombs (a small file that decodes to gigapixels) are refused from the header,
before any pixel is decoded: ``max_pixels`` (UPLOAD_MAX_PIXELS) is below Pillow's own limit, and
Pillow's ``DecompressionBombError``/``Warning`` are refusals too.
"""

from __future__ import annotations

import io
import math
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageCms, ImageOps

pillow_heif.register_heif_opener()

JPEG, PNG, HEIF, PDF = "jpeg", "png", "heif", "pdf"
SNIFF_BYTES = 64
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", HEIF: "HEIF"}
STORED_TYPE = {JPEG: "image/jpeg", HEIF: "image/jpeg", PNG: "image/png", PDF: "application/pdf"}
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
PNG_COMPRESS_LEVEL = 6
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})


class TooManyPixels(Exception):
    pass


class Unreadable(Exception):
    pass


def sniff(head: bytes) -> str | None:
    """The kind of file these first bytes start, among those accepted; None for anything else.

    The name and the Content-Type the browser sent are never asked: they are the uploader's word.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":  # ISO base media file: HEIF if a brand says so
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
        if brands & _HEIF_BRANDS:
            return HEIF
    return None


def open_image(source: BinaryIO, kind: str, *, max_pixels: int) -> Image.Image:
    """Open (headers only) and refuse what would decode to more than ``max_pixels``."""
    try:
        image = Image.open(source, formats=[_PILLOW_FORMATS[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels from exc
    except Exception as exc:  # Pillow raises a zoo (OSError, SyntaxError, struct.error …): all mean unreadable
        raise Unreadable from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise Unreadable("no pixels")
    if width * height > max_pixels:
        raise TooManyPixels
    return image


def clean_image(image: Image.Image, kind: str, *, max_side: int) -> Image.Image:
    """Decode, turn upright, fit within ``max_side``, convert to sRGB, and forget all metadata."""
    try:
        if kind == JPEG and max_side and max(image.size) > max_side:
            # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding: less memory and time.
            scale = max_side / max(image.size)
            image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # photos stay upright once EXIF is gone
        if max_side and max(image.size) > max_side:
            image = fit(image, max_side)
        image = _to_srgb(image)
        image = _storable_mode(image, kind)
    except (TooManyPixels, Unreadable):
        raise
    except Exception as exc:
        raise Unreadable from exc
    image.info = {}  # save() falls back on info for comments, XMP, ICC, transparency: nothing to find
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode == "CMYK":
            return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
        ImageCms.profileToProfile(image, profile, _SRGB, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        pass  # an unusable profile: keep the pixels as they are (colours may be a little off)
    return image


def _storable_mode(image: Image.Image, kind: str) -> Image.Image:
    if kind == PNG:
        if image.mode == "P" and "transparency" in image.info:
            return image.convert("RGBA")
        if image.mode in ("L", "RGB") and "transparency" in image.info:
            return image.convert("LA" if image.mode == "L" else "RGBA")
        if image.mode in _PNG_MODES:
            return image
        return image.convert("RGBA")
    return flatten(image)


def flatten(image: Image.Image) -> Image.Image:
    """An image JPEG can hold: grey or RGB, transparency painted on white."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I") or image.mode == "F":  # 16-bit or float grey
        return image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, "white")
    white.paste(rgba, mask=rgba.getchannel("A"))
    return white


def save_clean(image: Image.Image, kind: str, out: BinaryIO) -> str:
    """Encode ``image`` (from ``clean_image``) into ``out``; returns the stored content type."""
    if kind == PNG:
        image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    return STORED_TYPE[kind]


def fit(image: Image.Image, side: int) -> Image.Image:
    """``image`` scaled down so that its longest side is ``side`` (aspect kept)."""
    if image.mode in ("1", "P"):  # palette images only resize by nearest neighbour
        image = image.convert("RGBA" if image.mode == "P" else "L")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap: shrink by whole factors first (fast), then resample the last step properly.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def save_thumbnail(image: Image.Image, out: BinaryIO, *, side: int) -> None:
    """A JPEG whose longest side is at most ``side`` pixels."""
    thumbnail = fit(image, side) if max(image.size) > side else image
    flatten(thumbnail).save(out, "JPEG", quality=THUMBNAIL_QUALITY)

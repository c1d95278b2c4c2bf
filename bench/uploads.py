"""How long the server spends on one phone photo, and how much memory. Prints a table.

    .venv/bin/python bench/uploads.py                 # a ~10 MB JPEG, a 12 MP HEIC, a 10 MB PDF
    .venv/bin/python bench/uploads.py --runs 9 --no-heic

1. Makes the files a phone sends: a 4000×3000 JPEG of noise over gradients at high quality (noise
   is what makes a real photo large: sensor grain), just under UPLOAD_MAX_BYTES, with an EXIF
   block carrying a GPS position and an orientation; a 4032×3024 HEIC (an iPhone's format); and a
   PDF of the same size.
2. For each file, in a fresh process (so that the peak resident size is this file's alone), runs
   ``files.prepare_upload`` — measure, sniff, decode, turn upright, re-encode without metadata,
   make a thumbnail, seal in 64 KiB AES-GCM chunks, write both blobs — several times, the upload
   read from a temporary file as Werkzeug spools it. Prints the median wall time, the parts
   of it, the peak of Python allocations (tracemalloc) and how far the process's peak resident
   size (VmHWM, else ru_maxrss) rose above what it was before the first run.

Goal (issue 8): a ~10 MB photo handled in < 1.5 s; memory bounded by the image's pixels (decoded
once, about 3 bytes a pixel), never by holding the file twice.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


# --- Making the files -----------------------------------------------------------------------------


def phone_exif(orientation: int = 1) -> bytes:
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    exif[0x0112] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (45.0, 44.0, 27.72)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 39.0, 58.32)
    return exif.tobytes()


def phone_picture(size: tuple[int, int]):
    from PIL import Image, ImageChops

    width, height = size
    gradients = [Image.linear_gradient("L").resize(size), Image.radial_gradient("L").resize(size)]
    base = Image.merge("RGB", (gradients[0], gradients[1], gradients[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    grain = Image.merge("RGB", [Image.effect_noise(size, 48) for _ in range(3)])
    return ImageChops.add(ImageChops.multiply(base, Image.new("RGB", size, (200, 200, 200))), grain, scale=1.6)


def make_jpeg(path: Path, limit: int) -> int:
    """The largest high-quality JPEG of the picture that is still within ``limit`` bytes."""
    picture = phone_picture((4000, 3000))
    exif = phone_exif(orientation=6)
    for quality in range(98, 70, -1):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, exif=exif)
        if out.tell() <= limit:
            path.write_bytes(out.getvalue())
            return quality
    raise SystemExit("could not make a JPEG within the limit")


def make_heic(path: Path, limit: int) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    picture = phone_picture((4032, 3024))
    for quality in (60, 45, 30):
        out = io.BytesIO()
        picture.save(out, "HEIF", quality=quality, exif=phone_exif())
        if out.tell() <= limit:
            path.write_bytes(out.getvalue())
            return
    raise SystemExit("could not make a HEIC within the limit")


def make_pdf(path: Path, size: int) -> None:
    import os

    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    path.write_bytes(head + os.urandom(size - len(head) - len(tail)) + tail)  # a scan's compressed image data


# --- Measuring (in a child process) ------------------------------------------------------------------


def peak_resident_kb() -> int:
    """This process's peak resident size. Linux's VmHWM starts afresh at exec; ru_maxrss keeps the
    parent's peak across fork and exec (it would hide the child's own rise)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(path: Path, runs: int) -> dict:
    from werkzeug.datastructures import FileStorage

    from portal import create_app
    from portal.core import files
    from portal.core.files import images

    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}", "UPLOAD_ROOT": str(work / "uploads")}
    )
    parts: dict[str, list[float]] = {"decode, upright, clean": [], "encode, seal, write": [], "thumbnail": []}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name].append(time.perf_counter() - start)

        return wrapper

    images.clean_image = timed("decode, upright, clean", images.clean_image)
    images.save_clean = timed("encode, seal, write", images.save_clean)
    images.save_thumbnail = timed("thumbnail", images.save_thumbnail)

    def upload() -> FileStorage:
        spooled = tempfile.SpooledTemporaryFile(max_size=500 * 1024)  # as Werkzeug spools a file part  # noqa: SIM115
        with open(path, "rb") as source:
            while chunk := source.read(MB):
                spooled.write(chunk)
        spooled.seek(0)
        return FileStorage(stream=spooled, filename=path.name)

    def once():
        given = upload()
        start = time.perf_counter()
        prepared = files.prepare_upload(given)
        took = time.perf_counter() - start
        given.close()
        files.discard(prepared)
        return took, prepared

    with app.app_context():
        baseline_kb = peak_resident_kb()
        walls = [once()[0] for _ in range(runs)]
        peak_kb = peak_resident_kb()
        tracemalloc.start()  # one more run, traced (tracing slows Python code down: not timed)
        _, result = once()
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "wall": statistics.median(walls),
        "walls": walls,
        "parts": {name: statistics.median(times) for name, times in parts.items() if times},
        "python_peak": python_peak,
        "rss_rise": (peak_kb - baseline_kb) * 1024,
        "stored_type": result.content_type,
        "stored_size": result.size,
        "pixels": (result.width, result.height) if result.width else None,
    }


# --- Main -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-heic", action="store_true", help="skip the HEIC file (encoding it takes a while)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.runs)))
        return

    from config import BaseConfig

    limit = BaseConfig.UPLOAD_MAX_BYTES
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-files-"))
    jpeg, heic, pdf = work / "IMG_0001.jpg", work / "IMG_0002.heic", work / "scan.pdf"
    quality = make_jpeg(jpeg, limit - 16 * 1024)
    samples = [(f"JPEG 4000×3000, q{quality}, GPS EXIF", jpeg)]
    if not args.no_heic:
        make_heic(heic, limit)
        samples.append(("HEIC 4032×3024 (iPhone)", heic))
    make_pdf(pdf, limit - 16 * 1024)
    samples.append(("PDF", pdf))

    print(f"files in {work}; {args.runs} runs each, each file in its own process; goal: < 1.5 s a photo\n")
    width = 5 * args.runs
    header = (
        f"{'upload':34s} {'size':>8s} {'median':>8s} {'runs (s)':>{width}s} {'py peak':>8s} {'rss rise':>9s}  stored"
    )
    print(header)
    print("-" * len(header))
    parts_lines = []
    for label, path in samples:
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(path), "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        runs = " ".join(f"{w:.2f}" for w in r["walls"])
        stored = f"{r['stored_type']} {r['stored_size'] / MB:.1f} MB" + (
            f" {r['pixels'][0]}×{r['pixels'][1]}" if r["pixels"] else ""
        )
        print(
            f"{label:34s} {path.stat().st_size / MB:6.2f}MB {r['wall']:7.2f}s {runs:>{width}s} "
            f"{r['python_peak'] / MB:6.1f}MB {r['rss_rise'] / MB:7.0f}MB  {stored}"
        )
        if r["parts"]:
            parts_lines.append(f"  {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in r["parts"].items()))
    if parts_lines:
        print("\nwhere an image's time goes (medians):")
        print("\n".join(parts_lines))
    print(
        "\npy peak: the largest Python allocation at once (tracemalloc; Pillow's pixel buffers are not in it).\n"
        "rss rise: how far the process's peak resident size rose during the runs (pixel buffers included)."
    )


if __name__ == "__main__":
    main()

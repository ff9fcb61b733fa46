"""Photos are refused by bytes and by declared pixels before they are decoded, and decoded small.

A decompression bomb (a tiny file declaring a huge picture) must cost nothing: it is refused from
its header, in well under a second, without the pixels ever being allocated.
"""

import io
import struct
import time
import zlib

import pytest
from PIL import Image

from wangge.cases.attachments import MAX_EDGE, _decode, photos_store
from wangge.core.errors import ValidationFailed

from .photos import image_bytes, upload


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring width × height 8-bit RGB pixels, with one tiny IDAT: a few
    hundred bytes that would need width × height × 3 bytes once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096, 9))
        + png_chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header_in_under_a_second(english, _media):
    bomb = upload("bomb.png", png_bomb(30_000, 30_000), "image/png")
    assert (bomb.size or 0) < 1000  # 2.7 GB of pixels declared in under a kilobyte
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as caught:
        photos_store([bomb])
    elapsed = time.perf_counter() - started
    assert caught.value.code == "too_many_pixels" and caught.value.field == "photos"
    assert "40 million pixels" in str(caught.value.message)
    assert elapsed < 1.0
    assert stored(_media) == []


def test_the_pixel_limit_is_a_setting_and_counts_declared_pixels(english, settings, _media):
    settings.WANGGE_PHOTO_MAX_PIXELS = 100 * 100
    with pytest.raises(ValidationFailed) as caught:
        photos_store([upload(data=image_bytes(size=(101, 100)))])
    assert caught.value.code == "too_many_pixels"
    assert len(photos_store([upload(data=image_bytes(size=(100, 100)))])) == 1


def test_pillows_own_bomb_check_is_refused_as_too_many_pixels(english, monkeypatch, _media):
    def bomb(*args, **kwargs):
        raise Image.DecompressionBombError("too big")

    monkeypatch.setattr(Image, "open", bomb)
    with pytest.raises(ValidationFailed) as caught:
        photos_store([upload()])
    assert caught.value.code == "too_many_pixels" and caught.value.field == "photos"


def test_photos_together_over_the_report_limit_are_refused_before_decoding(
    english, settings, monkeypatch, _media
):
    files = [upload(data=image_bytes(size=(200, 200))) for _ in range(3)]
    settings.WANGGE_REPORT_MAX_BYTES = sum(f.size or 0 for f in files) - 1
    decoded: list = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: decoded.append(a))
    with pytest.raises(ValidationFailed) as caught:
        photos_store(files)
    assert caught.value.code == "too_large_total" and caught.value.field == "photos"
    assert decoded == [] and stored(_media) == []


def test_a_big_jpeg_is_decoded_at_a_reduced_scale():
    photo = upload(data=image_bytes(size=(MAX_EDGE * 3, MAX_EDGE * 2)))
    image = _decode(photo, 1, "photos")
    # draft() picked the 1/2 scale: the full 6000 × 4000 pixels were never allocated.
    assert image.size == (MAX_EDGE * 3 // 2, MAX_EDGE)


def test_a_palette_png_with_transparency_is_flattened_and_scaled(_media):
    image = Image.new("P", (MAX_EDGE * 2, 10), 0)
    image.info["transparency"] = 0

    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    key = photos_store([upload("p.png", buffer.getvalue(), "image/png")])[0]
    with Image.open(_media / key) as saved:
        assert saved.size == (MAX_EDGE, 5) and saved.mode == "RGB"
        assert saved.getpixel((10, 2)) == (255, 255, 255)

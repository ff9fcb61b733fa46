"""Real image files for tests, made with Pillow (a phone photo with GPS in its EXIF included)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

GPS = {1: "N", 2: (30.0, 30.0, 0.0), 3: "E", 4: (104.0, 0.0, 0.0)}


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (40, 20), *, gps: bool = False, orientation: int = 0
) -> bytes:
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    buffer = io.BytesIO()
    if fmt == "JPEG" and (gps or orientation):
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        if orientation:
            exif[0x0112] = orientation
        if gps:
            exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def upload(
    name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg", **kwargs
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data if data is not None else image_bytes(**kwargs), content_type
    )

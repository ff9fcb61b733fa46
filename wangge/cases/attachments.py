"""Case photos: check, clean and store uploaded pictures; hand back storage keys.

A photo is decoded with Pillow (which proves it is an image and not a script named .jpg),
turned upright, stripped of every metadata block (EXIF carries GPS positions and phone serials:
a resident's report must not leak where they live), scaled to a sane size and re-encoded as JPEG.
It is stored through Django's default storage (MEDIA_ROOT today, S3-compatible later) under an
unguessable key, with a small thumbnail beside it. The keys go into `Case.photos` and
`CaseEvent.attachments`; photos are served only through the case's photo view, which checks
that the asker may see the case.

Nothing half-written: `photos_stored()` is a context manager around the service call; if the
service refuses (or anything else fails) the files it stored are deleted again.
"""

import io
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from wangge.core.errors import ValidationFailed

from .events import MAX_ATTACHMENTS

MAX_PHOTOS = MAX_ATTACHMENTS
MAX_EDGE = 2000
THUMB_EDGE = 320
JPEG_QUALITY = 85
# What Pillow can open here. MPO is the JPEG variant many phones write; HEIF/AVIF are
# accepted when a Pillow build or plugin can decode them, refused otherwise.
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
# Modes that resize well as they are; anything else (palette, 1-bit, CMYK, 16-bit) is converted.
RESIZABLE_MODES = ("RGB", "RGBA", "L", "LA")
# EXIF orientation → the turn that makes the picture upright (as ImageOps.exif_transpose).
ORIENTATION_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
KEY_PREFIX = "cases"
THUMB_SUFFIX = "_t.jpg"


def max_photo_bytes() -> int:
    return int(settings.WANGGE_PHOTO_MAX_BYTES)


def max_pixels() -> int:
    """Declared width × height above which a photo is refused before it is decoded: a phone
    camera makes ~12-50 MP; a decoded 40 MP RGBA picture already takes 160 MB."""
    return int(settings.WANGGE_PHOTO_MAX_PIXELS)


def max_report_bytes() -> int:
    return int(settings.WANGGE_REPORT_MAX_BYTES)


def _readable_formats() -> tuple[str, ...]:
    # Pillow refuses to be asked for a format it has no plugin for; ask only for the ones it has.
    Image.init()
    return tuple(name for name in ACCEPTED_FORMATS if name in Image.OPEN)


def _refuse(message: str, code: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _too_many_pixels(position: int, field: str) -> ValidationFailed:
    return _refuse(
        _("Photo %(number)s has more than %(mp)s million pixels.")
        % {"number": position, "mp": max_pixels() // 1_000_000},
        "too_many_pixels",
        field,
    )


def _check_sizes(files: list, field: str) -> None:
    """The cheap refusals, before any file is read: count, empty, bytes per file and in all."""
    if len(files) > MAX_PHOTOS:
        raise _refuse(
            _("At most %(count)s photos may be added.") % {"count": MAX_PHOTOS}, "too_many", field
        )
    for position, upload in enumerate(files, 1):
        size = getattr(upload, "size", None)
        if size is None or size <= 0:
            raise _refuse(_("Photo %(number)s is empty.") % {"number": position}, "empty", field)
        if size > max_photo_bytes():
            raise _refuse(
                _("Photo %(number)s is larger than %(mb)s MB.")
                % {"number": position, "mb": max_photo_bytes() // (1024 * 1024)},
                "too_large",
                field,
            )
    if sum(upload.size for upload in files) > max_report_bytes():
        raise _refuse(
            _("The photos together are larger than %(mb)s MB.")
            % {"mb": max_report_bytes() // (1024 * 1024)},
            "too_large_total",
            field,
        )


def _decode(upload, position: int, field: str) -> Image.Image:
    """Opened from its header, refused by declared size, then decoded as small as it can be."""
    upload.seek(0)
    data = upload.read(max_photo_bytes() + 1)
    not_a_photo = _("Photo %(number)s is not a picture this system can read (JPEG, PNG or WebP).")
    # Pillow's own bomb check is the backstop for a size that changes after the header.
    Image.MAX_IMAGE_PIXELS = max_pixels()
    try:
        image = Image.open(io.BytesIO(data), formats=_readable_formats())  # header only
        width, height = image.size
        if width * height > max_pixels():
            raise _too_many_pixels(position, field)
        # JPEG decodes at 1/2, 1/4 or 1/8 scale when that still covers MAX_EDGE: a 40 MP
        # photo then takes a sixteenth of the memory and time.
        image.draft("RGB", (MAX_EDGE, MAX_EDGE))
        image.load()
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(position, field) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse(not_a_photo % {"number": position}, "not_an_image", field) from None
    return image


def _clean(image: Image.Image) -> Image.Image:
    """Upright, RGB, no metadata, at most MAX_EDGE on its longer side."""
    orientation = image.getexif().get(ExifTags.Base.Orientation)
    if image.mode not in RESIZABLE_MODES:
        transparent = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    # Shrink first, so every later copy (turning, flattening) is of the small picture.
    image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Apply the camera's orientation flag before the flag itself is dropped with the EXIF.
    turn = ORIENTATION_TURNS.get(int(orientation or 1))
    upright = image.transpose(turn) if turn is not None else image
    if upright.mode in ("RGBA", "LA"):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    else:
        upright = upright.convert("RGB")
    # A fresh image carries pixels only: no EXIF, GPS, XMP, ICC or comments survive.
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)
    return clean


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def thumb_key(key: str) -> str:
    return key[: -len(".jpg")] + THUMB_SUFFIX if key.endswith(".jpg") else key


def photos_delete(keys: Iterable[str]) -> None:
    """Remove stored photos (and their thumbnails); missing files are no error."""
    for key in keys:
        for name in {key, thumb_key(key)}:
            with suppress(OSError):
                default_storage.delete(name)


def photos_store(
    uploads: Iterable, *, field: str = "photos", now: datetime | None = None
) -> list[str]:
    """Check every upload first, then store them all; returns the storage keys in order.

    Refuses (ValidationFailed naming `field`) more than MAX_PHOTOS files, an empty file, a file
    over max_photo_bytes() or files over max_report_bytes() together, a picture declaring more
    than max_pixels() (before decoding it), or one Pillow cannot decode as an image. The caller
    removes the files with `photos_delete` if what it stores them for fails: use `photos_stored`.
    """
    files = [upload for upload in uploads if upload is not None]
    _check_sizes(files, field)
    cleaned = [_clean(_decode(upload, index, field)) for index, upload in enumerate(files, 1)]
    month = (now or timezone.now()).astimezone(timezone.get_default_timezone())
    keys: list[str] = []
    try:
        for image in cleaned:
            key = f"{KEY_PREFIX}/{month:%Y/%m}/{uuid.uuid4().hex}.jpg"
            saved = default_storage.save(key, ContentFile(_jpeg(image)))
            keys.append(saved)
            thumb = image.copy()
            thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
            default_storage.save(thumb_key(saved), ContentFile(_jpeg(thumb)))
    except Exception:
        photos_delete(keys)
        raise
    return keys


@contextmanager
def photos_stored(
    uploads: Iterable, *, field: str = "photos", now: datetime | None = None
) -> Iterator[list[str]]:
    """Store the uploads for the block; if the block raises, delete them again.

        with photos_stored(request.FILES.getlist("photos")) as keys:
            case_report(..., photos=keys)

    Use it outside any transaction the service joins: the service's own atomic block has
    committed (or rolled back) by the time the `with` block ends.
    """
    keys = photos_store(uploads, field=field, now=now)
    try:
        yield keys
    except BaseException:
        photos_delete(keys)
        raise


def photo_open(key: str):
    """The stored file of a photo key (the caller has checked the key belongs to a case the
    asker may see). Raises FileNotFoundError when the file is gone."""
    if not key.startswith(f"{KEY_PREFIX}/") or ".." in key:
        raise FileNotFoundError(key)
    return default_storage.open(key, "rb")


def photo_exists(key: str) -> bool:
    return key.startswith(f"{KEY_PREFIX}/") and ".." not in key and default_storage.exists(key)

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

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.core.errors import ValidationFailed

from .events import MAX_ATTACHMENTS

MAX_PHOTOS = MAX_ATTACHMENTS
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Larger than any phone camera (~50 MP), smaller than what would exhaust memory when decoded.
MAX_PIXELS = 60_000_000
MAX_EDGE = 2000
THUMB_EDGE = 320
JPEG_QUALITY = 85
# What Pillow can open here. MPO is the JPEG variant many phones write; HEIF/AVIF are
# accepted when a Pillow build or plugin can decode them, refused otherwise.
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
KEY_PREFIX = "cases"
THUMB_SUFFIX = "_t.jpg"


def _readable_formats() -> tuple[str, ...]:
    # Pillow refuses to be asked for a format it has no plugin for; ask only for the ones it has.
    Image.init()
    return tuple(name for name in ACCEPTED_FORMATS if name in Image.OPEN)


def _refuse(message: str, code: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _decode(upload, position: int, field: str) -> Image.Image:
    name = {"number": position}
    size = getattr(upload, "size", None)
    if size is None or size <= 0:
        raise _refuse(_("Photo %(number)s is empty.") % name, "empty", field)
    if size > MAX_PHOTO_BYTES:
        raise _refuse(
            _("Photo %(number)s is larger than %(mb)s MB.")
            % {**name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
            "too_large",
            field,
        )
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    not_a_photo = _("Photo %(number)s is not a picture this system can read (JPEG, PNG or WebP).")
    try:
        image = Image.open(io.BytesIO(data), formats=_readable_formats())
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _refuse(
                _("Photo %(number)s has too many pixels.") % name, "too_many_pixels", field
            )
        image.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(not_a_photo % name, "not_an_image", field) from None
    return image


def _clean(image: Image.Image) -> Image.Image:
    """Upright, RGB, no metadata, at most MAX_EDGE on its longer side."""
    # Apply the camera's orientation flag before the flag itself is dropped with the EXIF.
    upright = ImageOps.exif_transpose(image) or image
    if upright.mode in ("RGBA", "LA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    else:
        upright = upright.convert("RGB")
    upright.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
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

    Refuses (ValidationFailed naming `field`) more than MAX_PHOTOS files, a file over
    MAX_PHOTO_BYTES, an empty file, or one Pillow cannot decode as an image. The caller removes
    the files with `photos_delete` if what it stores them for fails: use `photos_stored`.
    """
    files = [upload for upload in uploads if upload is not None]
    if len(files) > MAX_PHOTOS:
        raise _refuse(
            _("At most %(count)s photos may be added.") % {"count": MAX_PHOTOS}, "too_many", field
        )
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
